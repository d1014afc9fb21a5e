import os


def test_the_checkout_is_clean() -> None:
    assert not os.path.exists("CHECK_FAILS")
