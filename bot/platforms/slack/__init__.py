"""The Slack front end (slack-bolt AsyncApp + slack_sdk): Block Kit, the digest Sender, pacing."""
