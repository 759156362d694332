"""Let pytest explain failed comparisons made in the shared helper module too."""

import pytest

pytest.register_assert_rewrite("tests.sql.checks")
