"""Bot Framework (Teams, Skype, Slack via Azure…): activities in, Connector API out."""
