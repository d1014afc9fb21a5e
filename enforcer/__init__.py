"""enforcer: one policy.yaml, enforced everywhere git work happens."""
__version__ = "0.1.0"
