"""factory-boy factories for reference data. Tickets are made through the services
(`make_incident` in conftest) so that tests exercise the real write path."""

from __future__ import annotations

import factory

from accounts.choices import Role
from accounts.models import Contact, Organization, SupportGroup, User
from cmdb.models import CI, CIClass

PASSWORD = "Test-pass-2026!"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    code = factory.Sequence(lambda n: f"org{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.ENGINEER
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # An auditor is bound to one organisation (the model's check constraint); tests that walk every
    # role get one of its own unless they name it.
    organization = factory.Maybe(factory.LazyAttribute(lambda u: u.role == Role.AUDITOR),
                                 yes_declaration=factory.SubFactory(OrganizationFactory), no_declaration=None)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()
            from accounts.services import user_sync_role_group

            user_sync_role_group(user=obj)


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    organization = factory.SubFactory(OrganizationFactory)


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    region = "North"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


class CIClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CIClass
        django_get_or_create = ("code",)

    code = "server"
    name = "Server"


class CIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CI

    name = factory.Sequence(lambda n: f"device-{n}")
    ci_class = factory.SubFactory(CIClassFactory)
    organization = factory.SubFactory(OrganizationFactory)
