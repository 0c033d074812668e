"""The web pages: the public directory (/), the partner portal (/portal) and the channel
console (/console), server-rendered from the same services as the API."""
