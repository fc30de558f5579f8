"""Flask extensions, created unbound so every package can import them without an app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: Limits per client address (the reader's, behind ``TRUSTED_PROXIES``). Counters live in Redis
#: when ``REDIS_URL`` is set, shared by every server; otherwise in each process's memory. One
#: limiter serves the process's app: ``init_app`` points it at that app's storage.
limiter = Limiter(
    key_func=get_remote_address,
    strategy="moving-window",
    key_prefix="huiku",
    in_memory_fallback_enabled=True,  # Redis down: limits per process rather than none
)
