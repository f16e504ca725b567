"""orgbridge: move Salesforce Cases from one org to another, exactly once."""

__version__ = "0.1.0"
