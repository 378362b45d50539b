"""The helpdesk: advisers' accounts, API tokens and advice requests (issue "The helpdesk")."""
