"""Newsletter (double opt-in signup, issues, unsubscribe): how the area plugs in."""

from webapp.blueprints.newsletter import commands, export, models, routes, seed, send, signup
from webapp.core.area import Area

AREA = Area(
    name="newsletter",
    blueprints=(routes.bp,),
    models=models,
    seed_steps=(("Newsletter topics", seed.seed),),
    export_sections=(("newsletter", export.export_section),),
    # The newsletter mails the account's address: it follows an email change.
    email_change_hooks=(signup.follow_email_change,),
    # Its issues' emails do not name the account: they go with it through their deliveries.
    account_mail=(send.account_mail,),
    cli=commands.register,
    sitemap_start_pages=("newsletter.signup",),
)
