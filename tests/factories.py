"""Small builders shared by the tests of every app (users and roles)."""

from django.contrib.auth import get_user_model


def make_user(username="user", password="motdepasse-solide-42", **extra):
    return get_user_model().objects.create_user(username=username, password=password, **extra)
