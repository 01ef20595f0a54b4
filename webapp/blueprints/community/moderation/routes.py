"""The moderation console: the queue of held and reported posts, actions on posts and
members, pending groups, reported drug reviews and the log. Its views register on the
community blueprint (endpoints stay `community.<view>`); hooks.py imports this module so
they are there before the blueprint is registered.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.community.forms import BanForm, GroupDecisionForm, ReasonForm, RedactForm, SuspendForm
from webapp.blueprints.community.models import CommunityGroup, CommunityPost
from webapp.blueprints.community.moderation import actions as moderation
from webapp.blueprints.community.moderation.standing import standing_of
from webapp.blueprints.community.posting import post_for_update
from webapp.blueprints.community.routes import ACTION_LIMIT, bp, current_member, thread_url
from webapp.blueprints.community.rules import CommunityError, is_moderator
from webapp.blueprints.community.threads import question_post
from webapp.blueprints.drugs import review_moderation
from webapp.core.forms import EmptyForm, show_refusal
from webapp.core.guards import member_page
from webapp.core.paging import page_number, page_of
from webapp.extensions import db, limiter

QUEUE_PAGE = 25


def moderator_page(view=None, *, limit: str | None = None):
    """`@moderator_page` or `@moderator_page(limit=...)`: a member's page (signed in, no-store)
    that answers 403 to anyone but a moderator, before the POST rate limit counts them."""

    def decorate(function):
        limited = limiter.limit(limit, methods=["POST"])(function) if limit else function

        @wraps(function)
        def only_moderators(*args, **kwargs):
            if not is_moderator(current_user):
                abort(403)
            return limited(*args, **kwargs)

        return member_page(only_moderators, limit=None)

    return decorate(view) if view is not None else decorate


@bp.route("/moderation")
@moderator_page
def moderation_queue():
    items = moderation.queue(db.session, limit=1000)
    page = page_of(items, page_number(request.args.get("page")), QUEUE_PAGE)
    hidden, hidden_total = review_moderation.hidden_reviews(db.session)
    return render_template("community/moderation/queue.html", items=page.items, page=page,
                           groups=moderation.pending_groups(db.session),
                           decision_form=lambda g: GroupDecisionForm(prefix=f"g{g.id}"), action_form=EmptyForm(),
                           waiting=moderation.queue_size(db.session),
                           reported_reviews=review_moderation.reported_reviews(db.session),
                           reported_reviews_total=review_moderation.reported_count(db.session),
                           hidden_reviews=hidden, hidden_reviews_total=hidden_total, review_hide_form=_review_hide_form)


@bp.route("/moderation/posts/<int:post_id>")
@moderator_page
def moderate_post(post_id: int):
    post = db.get_or_404(CommunityPost, post_id)
    return _render_moderate(post)


def _render_moderate(post: CommunityPost, status: int = 200, redact_conflict: str | None = None, **forms):
    item = next((i for i in moderation.queue(db.session, limit=1000) if i.post.id == post.id), moderation.QueueItem(post))
    parent = db.session.get(CommunityPost, post.parent_id) if post.parent_id else None
    question = question_post(db.session, post.thread) if not post.is_question else None
    standing = standing_of(db.session, post.author_id) if post.author_id else None
    forms.setdefault("hide_form", ReasonForm(prefix="hide"))
    forms.setdefault("warn_form", ReasonForm(prefix="warn"))
    forms.setdefault("suspend_form", SuspendForm(prefix="suspend"))
    forms.setdefault("ban_form", BanForm(prefix="ban"))
    if "redact_form" not in forms:
        forms["redact_form"] = RedactForm(prefix="redact", body=post.body)
        forms["redact_form"].shown_version.show(moderation.redact_values(post))
    return render_template("community/moderation/post.html", post=post, item=item, parent=parent, question=question,
                           standing=standing, action_form=EmptyForm(), author=post.author, redact_conflict=redact_conflict,
                           may_sanction=post.author is not None and moderation.may_sanction(current_member(), post.author), **forms), status


@bp.route("/moderation/posts/<int:post_id>/<action>", methods=["POST"])
@moderator_page(limit=ACTION_LIMIT)
def moderate_action(post_id: int, action: str):
    post = db.get_or_404(CommunityPost, post_id)
    me = current_member()
    forms = {
        "hide": ("hide_form", ReasonForm(prefix="hide")),
        "warn": ("warn_form", ReasonForm(prefix="warn")),
        "suspend": ("suspend_form", SuspendForm(prefix="suspend")),
        "ban": ("ban_form", BanForm(prefix="ban")),
        "redact": ("redact_form", RedactForm(prefix="redact")),
    }
    simple = {"dismiss", "restore", "promote", "unpromote", "unban"}
    if action not in forms and action not in simple:
        abort(404)
    if action in simple:
        form = EmptyForm()
    else:
        name, form = forms[action]
    if not form.validate_on_submit():
        if action in simple:
            abort(400)
        return _render_moderate(post, 400, **{name: form})
    if action == "redact":
        post = post_for_update(db.session, post.id)
        if post is None:
            abort(404)
        # The author (or another moderator) may have changed the text since this page was opened.
        conflict = form.shown_version.conflict(moderation.redact_values(post), "This post") if post.status != "deleted" else None
        if conflict:
            return _render_moderate(post, 409, redact_conflict=conflict, redact_form=form)
    try:
        message = _apply(action, me, post, form)
    except CommunityError as exc:
        db.session.rollback()
        if action in forms and show_refusal(form, exc):
            return _render_moderate(post, 400, **{forms[action][0]: form})
        flash(exc.message, "error")
        return redirect(url_for("community.moderate_post", post_id=post.id))
    db.session.commit()
    flash(message, "success")
    if action in ("dismiss", "hide", "restore", "ban"):
        return redirect(url_for("community.moderation_queue"))
    return redirect(url_for("community.moderate_post", post_id=post.id))


def _apply(action: str, me, post: CommunityPost, form) -> str:
    if action == "dismiss":
        moderation.dismiss(db.session, me, post)
        return "Reports dismissed; the post stays as it is."
    if action == "hide":
        moderation.hide(db.session, me, post, form.reason.data)
        return "The post is hidden. Its author sees the reason."
    if action == "restore":
        was_held = post.status == "held"
        moderation.restore(db.session, me, post, thread_url)
        return "The post is approved and shown." if was_held else "The post is shown again."
    if action == "redact":
        moderation.redact(db.session, me, post, form.body.data or "")
        return "The post's text is updated."
    if action == "warn":
        moderation.warn(db.session, me, post.author_id, form.reason.data, post)
        return "The member is warned."
    if action == "suspend":
        until = moderation.suspend(db.session, me, post.author_id, form.days.data, form.reason.data or "", post)
        return f"Posting is suspended until {until:%B %-d, %Y}."
    if action == "ban":
        hidden = moderation.ban(db.session, me, post.author_id, form.reason.data, post)
        return f"The member is banned; {hidden} of their posts are hidden."
    if action == "unban":
        moderation.unban(db.session, me, post.author_id)
        return "The ban and any suspension are lifted. Their hidden posts stay hidden until restored one by one."
    moderation.set_promoted(db.session, me, post, action == "promote")
    return "Featured on Second Opinion." if action == "promote" else "Removed from Second Opinion."


@bp.route("/moderation/groups/<int:group_id>", methods=["POST"])
@moderator_page(limit=ACTION_LIMIT)
def decide_group(group_id: int):
    item = db.get_or_404(CommunityGroup, group_id)
    form = GroupDecisionForm(prefix=f"g{group_id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.decide_group(db.session, current_member(), item, approve=bool(form.approve.data), reason=form.reason.data or "")
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{item.name} is {'approved' if item.status == 'approved' else 'rejected'}.", "success")
    return redirect(url_for("community.moderation_queue"))


def _review_hide_form(review_id: int) -> ReasonForm:
    return ReasonForm(prefix=f"review{review_id}")


@bp.route("/moderation/reviews/<int:review_id>/<action>", methods=["POST"])
@moderator_page(limit=ACTION_LIMIT)
def moderate_review(review_id: int, action: str):
    """Dismiss the reports on a drug review, hide it, or show a hidden one again."""
    if action not in review_moderation.ACTIONS:
        abort(404)
    form = _review_hide_form(review_id) if action == "hide" else EmptyForm()
    back = url_for("community.moderation_queue", _anchor="reviews-h")
    if not form.validate_on_submit():
        if action != "hide" or "csrf_token" in form.errors:
            abort(400)
        flash("The review was not hidden: " + " ".join(form.reason.errors), "error")
        return redirect(back)
    me = current_member()
    try:
        if action == "dismiss":
            review_moderation.dismiss(db.session, me, review_id)
            message = "Reports dismissed; the review stays as it is."
        elif action == "hide":
            review = review_moderation.hide(db.session, me, review_id, form.reason.data)
            message = f"The review of {review.drug.name} is hidden. Its author sees the reason."
        else:
            review = review_moderation.restore(db.session, me, review_id)
            message = f"The review of {review.drug.name} is shown again."
    except CommunityError as exc:
        db.session.rollback()
        flash(exc.message, "info" if exc.status in (404, 409) else "error")
        return redirect(back)
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.route("/moderation/log")
@moderator_page
def moderation_log():
    page = moderation.action_log(db.session, page_number(request.args.get("page")))
    return render_template("community/moderation/log.html", page=page)
