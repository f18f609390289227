"""A person's own account settings; a patient's export and deletion."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

# Importing the views registers them on bp.
from . import routes  # noqa: E402, F401
