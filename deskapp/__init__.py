"""deskapp: the front desk of a property service center (物业服务中心客服前台)."""

__version__ = "0.1.0"
