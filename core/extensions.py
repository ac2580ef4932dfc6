"""Extensions, unbound here and bound to the app in the factory."""

from flask_cors import CORS
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from core.caller import hashed_remote_address
from core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
limiter = Limiter(key_func=hashed_remote_address)
cors = CORS()
api = Api()
mail = Mail()
