"""One small repository per data kind, written once against the generic stores."""
