"""register, login, logout, and `me`."""

import strawberry

from accounts import services
from accounts.middleware import bearer_token
from accounts.permissions import IsAuthenticated


@strawberry.type(name="User", description="The account of the caller.")
class UserType:
    email: str
    display_name: str


@strawberry.type(description="A bearer token to send as `Authorization: Bearer <token>`.")
class AuthPayload:
    token: str
    user: UserType


def _user(user) -> UserType:
    return UserType(email=user.email, display_name=user.first_name)


@strawberry.type
class Query:
    @strawberry.field(description="The caller's account, or null when anonymous.")
    def me(self, info: strawberry.Info) -> UserType | None:
        user = info.context.request.user
        return _user(user) if user.is_authenticated else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a resident account; returns its first token.")
    def register(self, email: str, password: str, display_name: str = "") -> AuthPayload:
        user, token = services.user_register(email=email, password=password, display_name=display_name)
        return AuthPayload(token=token, user=_user(user))

    @strawberry.mutation(description="A new bearer token for an account (attempts are rate-limited).")
    def login(self, email: str, password: str) -> AuthPayload:
        user, token = services.user_login(email=email, password=password)
        return AuthPayload(token=token, user=_user(user))

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Revoke the token of this request.")
    def logout(self, info: strawberry.Info) -> bool:
        return services.token_revoke(raw=bearer_token(info.context.request) or "")
