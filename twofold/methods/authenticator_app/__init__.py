"""The Twofold Authenticator method; its key is here so the push hub needn't import the method."""

KEY = "authenticator_app"
