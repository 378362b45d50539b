"""rasa-sdk actions: thin adapters between the tracker and the ``bot`` package."""

from actions import check, every_message, forms, helpdesk  # noqa: F401 - registers the actions with the action server
