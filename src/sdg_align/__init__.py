"""sdg-align: which UN Sustainable Development Goals do a cluster's projects advance?"""

from __future__ import annotations

__version__ = "0.1.0"
