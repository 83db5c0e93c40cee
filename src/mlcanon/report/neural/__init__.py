"""Report section 'neural': each module here registers its checks with @mlcanon.report.core.check."""
