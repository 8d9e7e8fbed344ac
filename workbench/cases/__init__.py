"""Cases: leads, rings and entities an analyst works on and hands over as a verifiable package."""
