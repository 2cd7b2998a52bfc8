"""Customer channel backends: one module per platform behind bridge.channels.ChannelBackend."""
