"""Report section 'classic': each module here registers its checks with @mlcanon.report.core.check."""
