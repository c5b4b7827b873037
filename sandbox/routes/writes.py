"""Registry-driven write routes. Filled in below."""

from sandbox.routes import gets


def routes():
    return [
        ("GET", "/people", gets.get_people, "people.get"),
        ("GET", "/people/{id}", gets.get_people, "people.get"),
        ("GET", "/company", gets.get_company, "companies.get"),
        ("GET", "/company/{id}", gets.get_company, "companies.get"),
    ]
