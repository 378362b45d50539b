"""Project input/output channels: the web chat (socket.io + page) and Microsoft Teams."""
