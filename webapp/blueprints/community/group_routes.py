"""The group pages: a group and its threads, joining and leaving, invitations to a private
group (sending, accepting, declining) and starting a group. Registered on the community
blueprint (endpoints stay `community.<view>`); hooks.py imports this module.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.community import groups, invitations, threads
from webapp.blueprints.community.forms import GroupForm, InviteForm
from webapp.blueprints.community.models import CommunityGroup
from webapp.blueprints.community.routes import (
    ACTION_LIMIT,
    bp,
    current_member,
    local_path,
    one_click,
    viewer_posting_problem,
)
from webapp.blueprints.community.rules import CommunityError, is_moderator
from webapp.core.caching.http_cache import public_page
from webapp.core.forms import show_refusal
from webapp.core.guards import COMMUNITY_POST_LIMIT, member_page
from webapp.core.links import site_url_for
from webapp.core.paging import page_number
from webapp.extensions import db
from webapp.security import is_safe_next


@bp.route("/groups/<slug>")
@public_page("group:{slug}", "list:community")
def group(slug: str):
    item = groups.get_group(db.session, slug)
    if item is None or not groups.can_read_group(db.session, item, current_user):
        if item is not None and item.status == "approved" and item.is_private:
            return render_template("community/private_group.html", group=item), 403
        abort(404)
    return _render_group(item)


def _render_group(item: CommunityGroup, invite_form: InviteForm | None = None, status: int = 200):
    sort = request.args.get("sort", "newest")
    if sort not in threads.SORTS:
        sort = "newest"
    page = threads.group_threads(db.session, item, sort, page_number(request.args.get("page")))
    member = groups.is_member(db.session, item.id, current_user)
    if invite_form is None and current_user.is_authenticated and item.owner_id == current_user.id and item.is_private:
        invite_form = InviteForm()
    return render_template("community/group.html", group=item, page=page, sort=sort, member=member,
                           invite_form=invite_form), status


@bp.route("/groups/<slug>/join", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def join(slug: str):
    item = groups.get_group(db.session, slug) or abort(404)
    one_click(lambda: groups.join_group(db.session, item, current_member()),
               lambda joined: f"You joined {item.name}." if joined else f"You are already a member of {item.name}.")
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/groups/<slug>/leave", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def leave(slug: str):
    item = groups.get_group(db.session, slug) or abort(404)
    one_click(lambda: groups.leave_group(db.session, item, current_member()), lambda _left: f"You left {item.name}.")
    if item.is_private and not is_moderator(current_user):
        return redirect(url_for("community.index"))
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/groups/<slug>/invite", methods=["POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def invite(slug: str):
    item = groups.get_group(db.session, slug)
    if item is None or not groups.can_read_group(db.session, item, current_user):
        abort(404)
    form = InviteForm()
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    try:
        if valid:
            invitations.invite(db.session, item, current_member(), form.email.data,
                               invitations_url=site_url_for("community.notifications") + "#invitations")
        else:  # who may invite is said before anything about the address
            invitations.check_may_invite(db.session, item, current_member())
    except CommunityError as exc:
        db.session.rollback()
        if exc.field is None:
            flash(exc.message, "error")
            return redirect(url_for("community.group", slug=item.slug))
        show_refusal(form, exc, "email")
    if form.errors:
        return _render_group(item, form, 400)
    db.session.commit()
    # The same answer whatever the address: it must not tell who has an account or is a member.
    flash(invitations.INVITE_SENT, "success")
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/invitations/<int:invitation_id>/accept", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def accept_invitation(invitation_id: int):
    item = one_click(lambda: invitations.accept(db.session, current_member(), invitation_id),
                     lambda joined: f"You joined {joined.name}.", refused_as=lambda exc: "info" if exc.status == 404 else "error")
    return redirect(url_for("community.group", slug=item.slug) if item else url_for("community.notifications"))


@bp.route("/invitations/<int:invitation_id>/decline", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def decline_invitation(invitation_id: int):
    one_click(lambda: invitations.decline(db.session, current_member(), invitation_id),
              lambda declined: f"You declined the invitation to {declined.name}.", refused_as=lambda _exc: "info")
    back = local_path(request.referrer)
    return redirect(back if back and is_safe_next(back) else url_for("community.notifications"))


@bp.route("/groups/new", methods=["GET", "POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def new_group():
    form = GroupForm()
    problem = viewer_posting_problem()
    if form.validate_on_submit() and not problem:
        data = groups.NewGroup(form.name.data, form.description.data, form.rules.data or "", form.visibility.data)
        try:
            item = groups.create_group(db.session, current_member(), data)
        except CommunityError as exc:
            show_refusal(form, exc, "name")
        else:
            db.session.commit()
            if item.status == "approved":
                flash(f"The group {item.name} is created.", "success")
            else:
                flash(f"Thank you. {item.name} will be listed once a moderator approves it. You can already see its page.", "success")
            return redirect(url_for("community.group", slug=item.slug))
    status = 400 if form.errors else 200
    return render_template("community/new_group.html", form=form, problem=problem), status
