"""Wall screens: kiosk chrome (ioc.ui.wall.kiosk), the rotation and reconnect watchdog
(ioc.ui.wall.watchdog) and the Trình chiếu · Playlists page (ioc.ui.wall.view)."""
