"""The Chatwoot bridge: a Chatwoot API-channel inbox as the agents' inbox (optional).

Our SQL handoff state stays the authority; Chatwoot is a view and a keyboard for it:

- a customer asks for a person -> `sync`: find or create the Chatwoot contact and
  conversation, post the transcript as a private note, open the conversation;
- while the bot is muted -> `sync`: each customer message is posted as `incoming`;
- Chatwoot calls `POST /webhooks/chatwoot/{tenant}[/{token}]` (`webhook`, `inbound`):
  an agent's outgoing, non-private message -> claimed (the customer hears who joined)
  and sent once through our outbox; an assignment -> claimed; resolved -> back to the bot.

Configured per tenant (`Settings.chatwoot_account`); off when no account is configured.
"""
