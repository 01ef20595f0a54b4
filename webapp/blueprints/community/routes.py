"""Community pages: the index, threads (asking, answering, replying, editing, votes,
watching, reports), notifications, search and Second Opinion; and the `bp` with the view
helpers the area's other view modules share.

group_routes.py (groups and invitations) and moderation/routes.py (the moderation console)
register their views on this same `bp`, so every endpoint is `community.<view>`; hooks.py
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.community import groups, invitations, notifications, posting, threads
from webapp.blueprints.community.forms import (
    AnswerForm,
    AskForm,
    EditForm,
    NotificationSettingsForm,
    ReplyForm,
    ReportForm,
    SearchForm,
)
from webapp.blueprints.community.models import CommunityPost, CommunityThread
from webapp.blueprints.community.moderation import actions as moderation
from webapp.blueprints.community.moderation.standing import now, posting_problem
from webapp.blueprints.community.rules import CRISIS_RESOURCES, CommunityError, can_delete, can_edit, is_moderator
from webapp.blueprints.community.threads import search_threads
from webapp.blueprints.content import feeds as content_feeds
from webapp.core.caching.http_cache import public_page
from webapp.core.forms import EmptyForm, show_refusal
from webapp.core.guards import COMMUNITY_POST_LIMIT, member_page
from webapp.core.links import site_url_for
from webapp.core.paging import page_number
from webapp.core.slugs import slugify
from webapp.database import immediate_transactions
from webapp.extensions import db
from webapp.security import is_safe_next

bp = Blueprint("community", __name__, url_prefix="/community")

REPORT_LIMIT = "5 per minute; 30 per day"
ACTION_LIMIT = "60 per minute"
T = TypeVar("T")


@bp.errorhandler(IntegrityError)
def _already_done(_exc):
    """Two clicks racing each other (a vote, a report, joining): the second one finds the first one's row."""
    db.session.rollback()
    flash("That was already done: the form was probably sent twice.", "info")
    target = request.referrer if is_safe_next(local_path(request.referrer)) else None
    return redirect(local_path(target) if target else url_for("community.index"))


def local_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def current_member():
    return current_user._get_current_object()


def thread_url(thread: CommunityThread) -> str:
    return site_url_for("community.thread", thread_id=thread.id)


def viewer_posting_problem() -> str | None:
    return posting_problem(db.session, current_user) if current_user.is_authenticated else None


def _crisis_notice(crisis: bool) -> None:
    if crisis:
        flash("It sounds like things may be very hard right now. " + CRISIS_RESOURCES, "warning")


def _posted_message(result: posting.PostResult, what: str) -> None:
    if result.duplicate:
        flash(f"Your {what} was already posted; it is shown below.", "info")
    elif result.held:
        flash(f"Thank you. Your {what} is waiting for a moderator's review and will be shown to others once approved. "
              f"{result.post.held_reason or ''}".strip(), "info")
    else:
        flash(f"Your {what} is posted.", "success")
    _crisis_notice(result.crisis and not result.duplicate)


def one_click(action: Callable[[], T], done: Callable[[T], str],
              refused_as: Callable[[CommunityError], str] = lambda _exc: "error") -> T | None:
    """A button-only POST (join, leave, vote, delete, answer an invitation): check its CSRF
    token, run the domain action, commit and say what happened (returning the action's
    result), or say why it was refused (returning None)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = action()
    except CommunityError as exc:
        db.session.rollback()
        flash(exc.message, refused_as(exc))
        return None
    db.session.commit()
    flash(done(result), "success")
    return result


def _at_post(post: CommunityPost, anchor: int | None = None) -> str:
    return url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{anchor or post.id}")


def _get_post(post_id: int) -> CommunityPost:
    post = db.session.get(CommunityPost, post_id)
    if post is None or not threads.can_read_thread(db.session, post.thread, current_user):
        abort(404)
    return post


def _get_thread(thread_id: int) -> CommunityThread:
    thread = db.session.get(CommunityThread, thread_id)
    if thread is None or not threads.can_read_thread(db.session, thread, current_user):
        abort(404)
    return thread


# ---------------------------------------------------------------- browsing


@bp.route("")
@public_page("list:community")
def index():
    summaries = groups.list_groups(db.session, current_user)
    recent = threads.recent_threads(db.session, current_user, limit=10)
    invited = invitations.pending_for(db.session, current_user)  # a member's page: no-store by security.py's rule
    return render_template("community/index.html", groups=summaries, recent=recent, search_form=SearchForm(request.args),
                           pending=groups.my_pending_groups(db.session, current_user), invitations=invited)


# ---------------------------------------------------------------- threads


@bp.route("/threads/<int:thread_id>")
@public_page("thread:{thread_id}")
def thread(thread_id: int):
    return _render_thread(_get_thread(thread_id))


def _render_thread(item: CommunityThread, answer_form: AnswerForm | None = None, status: int = 200):
    view = threads.thread_view(db.session, item, current_user)
    viewer = current_member() if current_user.is_authenticated else None
    asker_id = view.question.post.author_id if view.question else None
    crisis_for_viewer = viewer is not None and any(
        pv.post.mentions_crisis and pv.post.author_id == viewer.id
        for pv in ([view.question] if view.question else []) + view.answers + [r for a in view.answers for r in a.replies]
    )
    if answer_form is None and current_user.is_authenticated:
        answer_form = AnswerForm()  # never for a visitor: making it starts a session (its token)
    return render_template(
        "community/thread.html", view=view, thread=item, answer_form=answer_form, asker_id=asker_id,
        watching=notifications.is_watching(db.session, item, current_user),
        can_edit=lambda p: can_edit(viewer, p, now()), can_delete=lambda p: can_delete(viewer, p),
        is_mod=is_moderator(viewer), problem=viewer_posting_problem(), crisis_for_viewer=crisis_for_viewer,
        crisis_text=CRISIS_RESOURCES,
    ), status


@bp.route("/threads/<int:thread_id>/answer", methods=["POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def answer(thread_id: int):
    item = db.get_or_404(CommunityThread, thread_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_thread(_get_thread(thread_id), form, 400)
    try:
        result = posting.post_answer(db.session, current_member(), item, form.body.data or "", anonymous=form.anonymous.data,
                                   thread_url=thread_url)
    except CommunityError as exc:
        db.session.rollback()
        return _refused(item, form.body.data, exc, form)
    db.session.commit()
    _posted_message(result, "answer")
    return redirect(url_for("community.thread", thread_id=item.id, _anchor=f"post-{result.post.id}"))


def _refused(item: CommunityThread, text: str | None, exc: CommunityError, form=None):
    """Posting was refused: say why, and keep what the member wrote."""
    if exc.status == 404 or not groups.can_read_group(db.session, item.group, current_user):
        abort(404)
    if exc.status == 400 and form is not None and threads.can_read_thread(db.session, item, current_user):
        show_refusal(form, exc, "body")
        return _render_thread(item, form, 400)
    return render_template("community/post_refused.html", thread=item, message=exc.message, text=text or "",
                           readable=threads.can_read_thread(db.session, item, current_user)), exc.status


@bp.route("/posts/<int:post_id>/reply", methods=["GET", "POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def reply(post_id: int):
    parent = _get_post(post_id)
    if parent.is_question:
        return redirect(url_for("community.thread", thread_id=parent.thread_id, _anchor="answer"))
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            result = posting.post_answer(db.session, current_member(), parent.thread, form.body.data or "",
                                       anonymous=form.anonymous.data, parent_id=parent.id, thread_url=thread_url)
        except CommunityError as exc:
            db.session.rollback()
            if exc.status == 400:
                form.body.errors.append(exc.message)
            else:
                return _refused(parent.thread, form.body.data, exc)
        else:
            db.session.commit()
            _posted_message(result, "reply")
            return redirect(_at_post(parent, result.post.id))
    view = threads.post_view(parent, current_user)
    return render_template("community/reply.html", form=form, parent=view, thread=parent.thread,
                           problem=viewer_posting_problem()), 400 if form.errors else 200


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def edit(post_id: int):
    post = _get_post(post_id)
    if not can_edit(current_member(), post, now()):
        return _edit_refused(post)
    form = EditForm(obj=None)
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.thread.title if post.is_question else None
        form.shown_version.show(posting.edit_values(post))
    conflict = None
    if form.validate_on_submit():
        post = posting.post_for_update(db.session, post.id)
        if post is None:
            abort(404)
        if not can_edit(current_member(), post, now()):
            return _edit_refused(post)
        # Edited elsewhere since this form was opened: keep what was typed, show the current version.
        conflict = form.shown_version.conflict(posting.edit_values(post), "This post")
        if conflict is None:
            try:
                posting.edit_post(db.session, current_member(), post, form.body.data or "", form.title.data if post.is_question else None)
            except CommunityError as exc:
                db.session.rollback()
                show_refusal(form, exc, "body")
            else:
                db.session.commit()
                flash("Your changes are saved.", "success")
                return redirect(_at_post(post))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("community/edit.html", form=form, post=post, conflict=conflict), status


def _edit_refused(post: CommunityPost):
    flash("You can edit your post for 30 minutes after posting. After that, add a reply instead.", "error")
    return redirect(_at_post(post))


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def delete(post_id: int):
    post = _get_post(post_id)
    one_click(lambda: posting.delete_post(db.session, current_member(), post),
               lambda _deleted: "Your post is deleted." if post.author_id == current_user.id else "The post is deleted.")
    if post.thread.status == "deleted":
        return redirect(url_for("community.group", slug=post.thread.group.slug))
    return redirect(url_for("community.thread", thread_id=post.thread_id))


@bp.route("/posts/<int:post_id>/helpful", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def helpful(post_id: int):
    post = _get_post(post_id)
    one_click(lambda: posting.toggle_helpful(db.session, current_member(), post),
               lambda voted: "Thank you: marked as helpful." if voted else "Your helpful vote is taken back.")
    return redirect(_at_post(post))


@bp.route("/posts/<int:post_id>/best", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def best(post_id: int):
    post = _get_post(post_id)
    one_click(lambda: posting.mark_best(db.session, current_member(), post, thread_url),
               lambda is_best: "Marked as the best answer." if is_best else "The best-answer mark is removed.")
    return redirect(_at_post(post))


@bp.route("/threads/<int:thread_id>/watch", methods=["POST"])
@member_page(limit=ACTION_LIMIT)
def watch(thread_id: int):
    item = _get_thread(thread_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    on = request.form.get("watch") == "1"
    notifications.set_watch(db.session, item, current_member(), on)
    db.session.commit()
    flash("You are watching this thread: you'll be notified of new answers." if on else "You stopped watching this thread.", "success")
    return redirect(url_for("community.thread", thread_id=item.id))


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@member_page(limit=REPORT_LIMIT)
def report(post_id: int):
    post = _get_post(post_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_post(db.session, current_member(), post, form.reason.data, form.note.data or "")
        except CommunityError as exc:
            db.session.rollback()
            if not show_refusal(form, exc):
                flash(exc.message, "info" if exc.status == 409 else "error")
                return redirect(_at_post(post))
        else:
            db.session.commit()
            flash("Thank you for your report. A moderator will look at it; the author won't know who reported it.", "success")
            if form.reason.data == "self_harm":
                flash(CRISIS_RESOURCES, "warning")
            return redirect(_at_post(post))
    view = threads.post_view(post, current_user)
    return render_template("community/report.html", form=form, post=view, thread=post.thread, crisis_text=CRISIS_RESOURCES,
                           problem=viewer_posting_problem()), 400 if form.errors else 200


@bp.route("/ask", methods=["GET", "POST"])
@member_page(limit=COMMUNITY_POST_LIMIT)
def ask():
    form = AskForm()
    summaries = groups.list_groups(db.session, current_user)
    form.group.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(s.group.slug, s.group.name) for s in summaries if not s.group.is_private or s.joined
    ]
    if request.method == "GET" and request.args.get("group"):
        form.group.data = request.args.get("group")
    if request.method == "GET" and request.args.get("drug"):
        form.drug.data = request.args.get("drug", "")[:120]
    if form.validate_on_submit():
        data = posting.Question(form.group.data, form.title.data, form.body.data or "", form.tags.data or "",
                              slugify(form.drug.data, max_length=120), form.anonymous.data)
        try:
            result = posting.ask_question(db.session, current_member(), data, thread_url)
        except CommunityError as exc:
            db.session.rollback()
            if exc.field is None:
                flash(exc.message, "error")
            else:
                show_refusal(form, exc, "body")
        else:
            db.session.commit()
            _posted_message(result, "question")
            return redirect(url_for("community.thread", thread_id=result.thread.id))
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("community/ask.html", form=form, problem=viewer_posting_problem()), status


# ---------------------------------------------------------------- notifications, search, Second Opinion


@bp.route("/notifications", methods=["GET", "POST"], endpoint="notifications")
@member_page(limit=ACTION_LIMIT)
def notifications_page():
    settings_form = NotificationSettingsForm()
    if request.method == "POST":
        if request.form.get("action") == "read-all" and EmptyForm().validate_on_submit():
            notifications.mark_all_read(db.session, current_member())
            db.session.commit()
            flash("All notifications are marked as read.", "success")
        elif settings_form.validate_on_submit():
            notifications.set_email_preference(db.session, current_user.id, settings_form.email_notifications.data)
            db.session.commit()
            flash("Your email preference is saved.", "success")
        return redirect(url_for("community.notifications"))
    settings_form.email_notifications.data = notifications.wants_email(db.session, current_user.id)
    page = notifications.list_notifications(db.session, current_member(), page_number(request.args.get("page")))
    return render_template("community/notifications.html", page=page, settings_form=settings_form, action_form=EmptyForm(),
                           my_threads=threads.user_threads(db.session, current_user),
                           invitations=invitations.pending_for(db.session, current_user))


@bp.route("/notifications/<int:notification_id>")
@member_page(limit=None)
def open_notification(notification_id: int):
    with immediate_transactions():
        note = notifications.mark_read(db.session, current_member(), notification_id)
        if note is None:
            abort(404)
        db.session.commit()
    if note.thread_id:
        anchor = f"post-{note.post_id}" if note.post_id else None
        return redirect(url_for("community.thread", thread_id=note.thread_id, _anchor=anchor))
    return redirect(url_for("community.notifications"))


@bp.route("/search")
@public_page("list:community")
def search():
    form = SearchForm(request.args)
    query = (form.q.data or "").replace("\x00", "")
    page = None
    if query and form.validate():
        page = search_threads(db.session, current_user, query, page_number(request.args.get("page")))
    return render_template("community/search.html", form=form, page=page, query=query), 400 if form.errors else 200


@bp.route("/second-opinion")
@public_page("list:community")
def second_opinion():
    page = threads.second_opinion(db.session, page_number(request.args.get("page")))
    articles = content_feeds.expert_perspective_articles(db.session) if page.page == 1 else []
    return render_template("community/second_opinion.html", page=page, articles=articles)
