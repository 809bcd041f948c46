# Placeholder homes of areas still being built; each area's own table replaces its lines.
from tests.policy import LOGGED_IN

POLICY = {
}
