"""RSS / Atom / JSON Feed connector (social listening of newspapers and portals)."""
