"""Speech-to-insights providers behind one interface (`provider.Provider`); `symbl` speaks the Symbl Async
API.

Nothing here imports the engine: a provider is reached over HTTP (our engine serves the same API on loopback).
"""
