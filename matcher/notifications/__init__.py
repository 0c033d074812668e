"""Notifications: events written with the change that causes them (a transactional outbox),
delivered by e-mail and signed webhooks by a worker that several processes can share."""
