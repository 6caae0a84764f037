"""One module per report kind; each calls reports.registry.register(ReportKind(...)) at import."""
