"""Report section 'multimodal': each module here registers its checks with @mlcanon.report.core.check."""
