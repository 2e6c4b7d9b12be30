"""Segmentation, keyword terms, topic rules and places: the pure enrichment of posts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.reference.admin_units import commune
from ioc.reference.catalogue import SOCIAL_TOPICS
from ioc.social.places import places
from ioc.social.stopwords import is_stop_word
from ioc.social.topics import TOPIC_KEYWORDS, primary_topic, topics
from ioc.social.words import terms, words


def test_words_join_syllables_into_words() -> None:
    got = words("Đường Hùng Vương ngập nặng, xe máy chết máy hàng loạt")
    assert "hùng vương" in got and "xe máy" in got and "hàng loạt" in got


def test_terms_drop_stop_words_punctuation_and_repeat_once() -> None:
    got = terms("Mất điện, mất điện cả ngày ở xã này! Không ai xử lý cho dân 2 ngày")
    assert got.count("điện") == 1
    assert "điện" in got and "xử lý" in got
    assert not {"ở", "này", "không", "ai", "cho", "ngày", "2", ","} & set(got)
    assert terms("") == [] and terms(None) == []


def test_stop_words_cover_spellings_without_diacritics() -> None:
    assert is_stop_word("không") and is_stop_word("khong") and is_stop_word("người dân")
    assert not is_stop_word("ngập")


def test_teencode_is_expanded_before_stop_words() -> None:
    assert "ko" not in terms("ko ai sửa đường") and "không" not in terms("ko ai sửa đường")


def test_topic_rules_with_and_without_diacritics() -> None:
    assert primary_topic("Ùn tắc kéo dài trên quốc lộ 2") == "giao thông"
    assert primary_topic("tac duong ca buoi sang o quoc lo 2") == "giao thông"
    assert primary_topic("Rác thải gây ô nhiễm") == "môi trường"
    assert primary_topic("xa thai ra kenh gay o nhiem") == "môi trường"
    assert primary_topic("Xin chào") == "khác"
    # One-syllable keywords do not match stripped: "bao giờ" is not a storm ("bão").
    assert topics("bao gio moi xong") == []
    # Several topics: most matches first.
    assert topics("Mưa lớn gây ngập, sạt lở trên quốc lộ") == ["thiên tai - thời tiết",
                                                               "giao thông"]


def test_taxonomy_is_the_catalogue_topics() -> None:
    assert set(TOPIC_KEYWORDS) | {"khác"} == set(SOCIAL_TOPICS)


def test_places_2025_names_with_kind_capitalised_and_without_diacritics() -> None:
    assert places("Ngập ở phường Việt Trì và xã Lâm Thao", "25") == ["07900", "08494"]
    assert places("duong o phuong viet tri ngap qua", "25") == ["07900"]
    assert places("P. Việt Trì mất điện", "25") == ["07900"]
    assert places("Việt Trì hôm nay nắng", "25") == ["07900"]
    assert commune("07900").name == "Phường Việt Trì"


def test_places_ignore_common_words_and_other_provinces() -> None:
    assert places("thống nhất ý kiến, hòa bình", "25") == []  # lowercase: ordinary words
    assert places("Ngập ở phường Việt Trì", "01") == []  # not a commune of Hà Nội
    assert places("", "25") == [] and places(None, "25") == []


def test_places_legacy_names_land_on_the_2025_successor() -> None:
    got = places("Đường vào xã Tiên Kiên xuống cấp", "25")
    assert len(got) == 1
    assert commune(got[0]).province_code == "25"
    assert got == places("duong vao xa tien kien xuong cap", "25")


def test_the_province_name_alone_is_not_a_commune() -> None:
    assert places("Tỉnh Phú Thọ đẩy mạnh chuyển đổi số", "25") == []
    assert len(places("UBND phường Phú Thọ thông báo", "25")) == 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_enrichment_never_raises_on_any_text(text: str) -> None:
    got = terms(text)
    assert all(t and len(t) <= 64 for t in got)
    assert all(isinstance(c, str) for c in places(text, "25"))
    assert set(topics(text)) <= set(SOCIAL_TOPICS)


def test_enrichment_of_hostile_shapes() -> None:
    for text in ("\x00" * 50, "😡" * 300, "a" * 20_000, "x. " * 3000, "xã " * 3000,
                 "\u202eĐường\u202c ngập", "!!!???...", " \n\t "):
        terms(text), places(text, "25"), topics(text)
