"""The agents' side: bearer-token auth, the JSON API, the event stream and the inbox page."""
