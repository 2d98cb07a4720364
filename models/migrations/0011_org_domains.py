"""Organisations get a primary domain, so login names are userName@domain as in ZITADEL.

User names are unique per organisation, which is ZITADEL's mode with the domain
policy userLoginMustBeDomain on: there a user's login name is
userName@<org domain>, and the global login-name lookup finds one user even
when two organisations have the same userName. ZITADEL generates each org's
domain from its name and the instance's domain; the instance domain comes from
settings, so existing organisations get theirs when the app starts
(models.orgs.assign_missing_domains), not here.
"""


def up(migrator, db):
    db.execute_sql('ALTER TABLE "org" ADD COLUMN "domain" VARCHAR(253)')
    db.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "org_domain" ON "org" ("domain")')


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "org_domain"')
    db.execute_sql('ALTER TABLE "org" DROP COLUMN "domain"')
