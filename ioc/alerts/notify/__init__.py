"""Alert notifications outside Kafka (stdlib only): `webhook` and `mail` send, `message`
writes the e-mail text, `config` reads the settings, `registry` maps a target kind to its
sender, `delivery` holds what they share."""
