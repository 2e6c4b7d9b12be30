"""Wall screens: named playlists of pages (pure model, rotation arithmetic) and their store."""
