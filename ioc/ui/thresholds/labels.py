"""Labels of the Thresholds page's choices (comparators, rule kinds, targets, audit actions),
Vietnamese first."""

from __future__ import annotations

COMPARATOR_LABELS = {">": "> lớn hơn", ">=": "≥ từ … trở lên", "<": "< nhỏ hơn",
                     "<=": "≤ từ … trở xuống"}
AUDIT_ACTIONS = {"create": ("Tạo mới", "create"), "update": ("Sửa", "update"),
                 "enable": ("Bật", "enable"), "disable": ("Tắt", "disable"),
                 "import": ("Nhập từ tệp", "import")}
# Targets picked from a list; e-mail addresses are typed in their own field.
TARGETS = ("banner", "webhook")
TARGET_LABELS = {"banner": "Băng cảnh báo trên màn hình · Banner", "webhook": "Webhook"}
KIND_LABELS = {"threshold": "Ngưỡng cố định · Fixed threshold",
               "burst": "Đột biến so với các tuần trước · Burst against previous weeks"}
