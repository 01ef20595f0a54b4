"""Community: groups, questions and answers, notifications, Second Opinion, search, moderation."""

from __future__ import annotations

import re
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.community import invitations, moderation, notifications, posts
from webapp.blueprints.community.forms import (
    AnswerForm,
    AskForm,
    BanForm,
    EditForm,
    GroupDecisionForm,
    GroupForm,
    InviteForm,
    NotificationSettingsForm,
    ReasonForm,
    RedactForm,
    ReplyForm,
    ReportForm,
    SearchForm,
    SuspendForm,
)
from webapp.blueprints.community.models import CommunityGroup, CommunityPost, CommunityThread
from webapp.blueprints.community.rules import CRISIS_RESOURCES, CommunityError, can_delete, can_edit, is_moderator, posting_block
from webapp.blueprints.drugs import review_moderation
from webapp.core.forms import EmptyForm
from webapp.core.links import site_url_for
from webapp.database import immediate_transactions
from webapp.extensions import db, limiter
from webapp.security import is_safe_next, no_store

bp = Blueprint("community", __name__, url_prefix="/community")

POST_LIMIT = "10 per minute; 60 per hour"
REPORT_LIMIT = "5 per minute; 30 per day"
ACTION_LIMIT = "60 per minute"
QUEUE_PAGE = 25


@bp.errorhandler(IntegrityError)
def _already_done(_exc):
    """Two clicks racing each other (a vote, a report, joining): the second one finds the first one's row."""
    db.session.rollback()
    flash("That was already done: the form was probably sent twice.", "info")
    target = request.referrer if is_safe_next(_local_path(request.referrer)) else None
    return redirect(_local_path(target) if target else url_for("community.index"))


def _local_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _user():
    return current_user._get_current_object()


def _thread_url(thread: CommunityThread) -> str:
    return site_url_for("community.thread", thread_id=thread.id)


def _posting_problem() -> str | None:
    if not current_user.is_authenticated:
        return None
    if not current_user.is_verified:
        return "Please confirm your email address first (see your account settings); then you can post."
    return posting_block(posts.standing_of(db.session, current_user.id), posts._now())


def moderator_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not is_moderator(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _crisis_notice(crisis: bool) -> None:
    if crisis:
        flash("It sounds like things may be very hard right now. " + CRISIS_RESOURCES, "warning")


def _posted_message(result: posts.PostResult, what: str) -> None:
    if result.duplicate:
        flash(f"Your {what} was already posted; it is shown below.", "info")
    elif result.held:
        flash(f"Thank you. Your {what} is waiting for a moderator's review and will be shown to others once approved. "
              f"{result.post.held_reason or ''}".strip(), "info")
    else:
        flash(f"Your {what} is posted.", "success")
    _crisis_notice(result.crisis and not result.duplicate)


def _get_post(post_id: int) -> CommunityPost:
    post = db.session.get(CommunityPost, post_id)
    if post is None or not posts.can_read_thread(db.session, post.thread, current_user):
        abort(404)
    return post


def _get_thread(thread_id: int) -> CommunityThread:
    thread = db.session.get(CommunityThread, thread_id)
    if thread is None or not posts.can_read_thread(db.session, thread, current_user):
        abort(404)
    return thread


def _drug_slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:120]


# ---------------------------------------------------------------- browsing


@bp.route("")
def index():
    groups = posts.list_groups(db.session, current_user)
    recent = posts.recent_threads(db.session, current_user, limit=10)
    invited = invitations.pending_for(db.session, current_user)
    if invited:
        g.no_store = True  # the member's own invitations
    return render_template("community/index.html", groups=groups, recent=recent, search_form=SearchForm(request.args),
                           pending=posts.my_pending_groups(db.session, current_user), invitations=invited)


@bp.route("/groups/<slug>")
def group(slug: str):
    item = posts.get_group(db.session, slug)
    if item is None or not posts.can_read_group(db.session, item, current_user):
        if item is not None and item.status == "approved" and item.is_private:
            return render_template("community/private_group.html", group=item), 403
        abort(404)
    return _render_group(item)


def _render_group(item: CommunityGroup, invite_form: InviteForm | None = None, status: int = 200):
    sort = request.args.get("sort", "newest")
    if sort not in posts.SORTS:
        sort = "newest"
    page = posts.group_threads(db.session, item, sort, posts.clamp_page(request.args.get("page")))
    member = posts.is_member(db.session, item.id, current_user)
    if invite_form is None and current_user.is_authenticated and item.owner_id == current_user.id and item.is_private:
        invite_form = InviteForm()
    return render_template("community/group.html", group=item, page=page, sort=sort, member=member,
                           invite_form=invite_form, action_form=EmptyForm()), status


@bp.route("/groups/<slug>/join", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def join(slug: str):
    item = posts.get_group(db.session, slug)
    if item is None or not EmptyForm().validate_on_submit():
        abort(404 if item is None else 400)
    try:
        joined = posts.join_group(db.session, item, _user())
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"You joined {item.name}." if joined else f"You are already a member of {item.name}.", "success")
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/groups/<slug>/leave", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def leave(slug: str):
    item = posts.get_group(db.session, slug)
    if item is None or not EmptyForm().validate_on_submit():
        abort(404 if item is None else 400)
    try:
        posts.leave_group(db.session, item, _user())
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"You left {item.name}.", "success")
    if item.is_private and not is_moderator(current_user):
        return redirect(url_for("community.index"))
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/groups/<slug>/invite", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
def invite(slug: str):
    item = posts.get_group(db.session, slug)
    if item is None or not posts.can_read_group(db.session, item, current_user):
        abort(404)
    form = InviteForm()
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    try:
        if valid:
            invitations.invite(db.session, item, _user(), form.email.data,
                               invitations_url=site_url_for("community.notifications") + "#invitations")
        else:  # who may invite is said before anything about the address
            invitations.check_may_invite(db.session, item, _user())
    except CommunityError as exc:
        db.session.rollback()
        if exc.field is None:
            flash(exc.message, "error")
            return redirect(url_for("community.group", slug=item.slug))
        form.email.errors.append(exc.message)
    if form.errors:
        return _render_group(item, form, 400)
    db.session.commit()
    # The same answer whatever the address: it must not tell who has an account or is a member.
    flash(invitations.INVITE_SENT, "success")
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/invitations/<int:invitation_id>/accept", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def accept_invitation(invitation_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        item = invitations.accept(db.session, _user(), invitation_id)
    except CommunityError as exc:
        db.session.rollback()
        flash(exc.message, "info" if exc.status == 404 else "error")
        return redirect(url_for("community.notifications"))
    db.session.commit()
    flash(f"You joined {item.name}.", "success")
    return redirect(url_for("community.group", slug=item.slug))


@bp.route("/invitations/<int:invitation_id>/decline", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def decline_invitation(invitation_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        item = invitations.decline(db.session, _user(), invitation_id)
    except CommunityError as exc:
        db.session.rollback()
        flash(exc.message, "info")
    else:
        db.session.commit()
        flash(f"You declined the invitation to {item.name}.", "success")
    back = _local_path(request.referrer)
    return redirect(back if back and is_safe_next(back) else url_for("community.notifications"))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def new_group():
    form = GroupForm()
    problem = _posting_problem()
    if form.validate_on_submit() and not problem:
        data = posts.NewGroup(form.name.data, form.description.data, form.rules.data or "", form.visibility.data)
        try:
            item = posts.create_group(db.session, _user(), data)
        except CommunityError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            db.session.commit()
            if item.status == "approved":
                flash(f"The group {item.name} is created.", "success")
            else:
                flash(f"Thank you. {item.name} will be listed once a moderator approves it. You can already see its page.", "success")
            return redirect(url_for("community.group", slug=item.slug))
    status = 400 if form.errors else 200
    return render_template("community/new_group.html", form=form, problem=problem), status


@bp.route("/threads/<int:thread_id>")
def thread(thread_id: int):
    return _render_thread(_get_thread(thread_id))


def _render_thread(item: CommunityThread, answer_form: AnswerForm | None = None, status: int = 200):
    view = posts.thread_view(db.session, item, current_user)
    viewer = _user() if current_user.is_authenticated else None
    asker_id = view.question.post.author_id if view.question else None
    crisis_for_viewer = viewer is not None and any(
        pv.post.mentions_crisis and pv.post.author_id == viewer.id
        for pv in ([view.question] if view.question else []) + view.answers + [r for a in view.answers for r in a.replies]
    )
    return render_template(
        "community/thread.html", view=view, thread=item, answer_form=answer_form or AnswerForm(),
        action_form=EmptyForm(), asker_id=asker_id, watching=posts.is_watching(db.session, item, current_user),
        can_edit=lambda p: can_edit(viewer, p, posts._now()), can_delete=lambda p: can_delete(viewer, p),
        is_mod=is_moderator(viewer), problem=_posting_problem(), crisis_for_viewer=crisis_for_viewer,
        crisis_text=CRISIS_RESOURCES,
    ), status


@bp.route("/threads/<int:thread_id>/answer", methods=["POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def answer(thread_id: int):
    item = db.session.get(CommunityThread, thread_id)
    if item is None:
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_thread(_get_thread(thread_id), form, 400)
    try:
        result = posts.post_answer(db.session, _user(), item, form.body.data or "", anonymous=form.anonymous.data,
                                   thread_url=_thread_url)
    except CommunityError as exc:
        db.session.rollback()
        return _refused(item, form.body.data, exc, form)
    db.session.commit()
    _posted_message(result, "answer")
    return redirect(url_for("community.thread", thread_id=item.id, _anchor=f"post-{result.post.id}"))


def _refused(item: CommunityThread, text: str | None, exc: CommunityError, form=None):
    """Posting was refused: say why, and keep what the member wrote."""
    if exc.status == 404 or not posts.can_read_group(db.session, item.group, current_user):
        abort(404)
    if exc.status == 400 and form is not None and posts.can_read_thread(db.session, item, current_user):
        getattr(form, exc.field or "body").errors.append(exc.message)
        return _render_thread(item, form, 400)
    return render_template("community/post_refused.html", thread=item, message=exc.message, text=text or "",
                           readable=posts.can_read_thread(db.session, item, current_user)), exc.status


@bp.route("/posts/<int:post_id>/reply", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def reply(post_id: int):
    parent = _get_post(post_id)
    if parent.is_question:
        return redirect(url_for("community.thread", thread_id=parent.thread_id, _anchor="answer"))
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            result = posts.post_answer(db.session, _user(), parent.thread, form.body.data or "",
                                       anonymous=form.anonymous.data, parent_id=parent.id, thread_url=_thread_url)
        except CommunityError as exc:
            db.session.rollback()
            if exc.status == 400:
                form.body.errors.append(exc.message)
            else:
                return _refused(parent.thread, form.body.data, exc)
        else:
            db.session.commit()
            _posted_message(result, "reply")
            return redirect(url_for("community.thread", thread_id=parent.thread_id, _anchor=f"post-{result.post.id}"))
    view = posts.PostView(parent, posts.byline(parent, current_user), posts.can_see_post_body(current_user, parent), None)
    return render_template("community/reply.html", form=form, parent=view, thread=parent.thread,
                           problem=_posting_problem()), 400 if form.errors else 200


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def edit(post_id: int):
    post = _get_post(post_id)
    if not can_edit(_user(), post, posts._now()):
        return _edit_refused(post)
    form = EditForm(obj=None)
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.thread.title if post.is_question else None
        form.shown_version.show(posts.edit_values(post))
    conflict = None
    if form.validate_on_submit():
        post = posts.post_for_update(db.session, post.id)
        if post is None:
            abort(404)
        if not can_edit(_user(), post, posts._now()):
            return _edit_refused(post)
        # Edited elsewhere since this form was opened: keep what was typed, show the current version.
        conflict = form.shown_version.conflict(posts.edit_values(post), "This post")
        if conflict is None:
            try:
                posts.edit_post(db.session, _user(), post, form.body.data or "", form.title.data if post.is_question else None)
            except CommunityError as exc:
                db.session.rollback()
                getattr(form, exc.field or "body").errors.append(exc.message)
            else:
                db.session.commit()
                flash("Your changes are saved.", "success")
                return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("community/edit.html", form=form, post=post, conflict=conflict), status


def _edit_refused(post: CommunityPost):
    flash("You can edit your post for 30 minutes after posting. After that, add a reply instead.", "error")
    return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def delete(post_id: int):
    post = _get_post(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        posts.delete_post(db.session, _user(), post)
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Your post is deleted." if post.author_id == current_user.id else "The post is deleted.", "success")
    if post.thread.status == "deleted":
        return redirect(url_for("community.group", slug=post.thread.group.slug))
    return redirect(url_for("community.thread", thread_id=post.thread_id))


@bp.route("/posts/<int:post_id>/helpful", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def helpful(post_id: int):
    post = _get_post(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        voted = posts.toggle_helpful(db.session, _user(), post)
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Thank you: marked as helpful." if voted else "Your helpful vote is taken back.", "success")
    return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


@bp.route("/posts/<int:post_id>/best", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def best(post_id: int):
    post = _get_post(post_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        is_best = posts.mark_best(db.session, _user(), post, _thread_url)
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Marked as the best answer." if is_best else "The best-answer mark is removed.", "success")
    return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


@bp.route("/threads/<int:thread_id>/watch", methods=["POST"])
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def watch(thread_id: int):
    item = _get_thread(thread_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    on = request.form.get("watch") == "1"
    posts.set_watch(db.session, item, _user(), on)
    db.session.commit()
    flash("You are watching this thread: you'll be notified of new answers." if on else "You stopped watching this thread.", "success")
    return redirect(url_for("community.thread", thread_id=item.id))


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
@limiter.limit(REPORT_LIMIT, methods=["POST"])
@no_store
def report(post_id: int):
    post = _get_post(post_id)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            moderation.report_post(db.session, _user(), post, form.reason.data, form.note.data or "")
        except CommunityError as exc:
            db.session.rollback()
            if exc.field:
                getattr(form, exc.field).errors.append(exc.message)
            else:
                flash(exc.message, "info" if exc.status == 409 else "error")
                return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))
        else:
            db.session.commit()
            flash("Thank you for your report. A moderator will look at it; the author won't know who reported it.", "success")
            if form.reason.data == "self_harm":
                flash(CRISIS_RESOURCES, "warning")
            return redirect(url_for("community.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))
    view = posts.PostView(post, posts.byline(post, current_user), posts.can_see_post_body(current_user, post), None)
    return render_template("community/report.html", form=form, post=view, thread=post.thread, crisis_text=CRISIS_RESOURCES,
                           problem=_posting_problem()), 400 if form.errors else 200


@bp.route("/ask", methods=["GET", "POST"])
@login_required
@limiter.limit(POST_LIMIT, methods=["POST"])
@no_store
def ask():
    form = AskForm()
    summaries = posts.list_groups(db.session, current_user)
    form.group.choices = [SelectChoice("", "Choose a group")] + [
        SelectChoice(s.group.slug, s.group.name) for s in summaries if not s.group.is_private or s.joined
    ]
    if request.method == "GET" and request.args.get("group"):
        form.group.data = request.args.get("group")
    if request.method == "GET" and request.args.get("drug"):
        form.drug.data = request.args.get("drug", "")[:120]
    if form.validate_on_submit():
        data = posts.Question(form.group.data, form.title.data, form.body.data or "", form.tags.data or "",
                              _drug_slug(form.drug.data), form.anonymous.data)
        try:
            result = posts.ask_question(db.session, _user(), data, _thread_url)
        except CommunityError as exc:
            db.session.rollback()
            target = {"drug": form.drug, "group": form.group, "tags": form.tags, "title": form.title}.get(exc.field or "", form.body)
            if exc.field is None:
                flash(exc.message, "error")
            else:
                target.errors.append(exc.message)
        else:
            db.session.commit()
            _posted_message(result, "question")
            return redirect(url_for("community.thread", thread_id=result.thread.id))
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template("community/ask.html", form=form, problem=_posting_problem()), status


# ---------------------------------------------------------------- notifications, search, Second Opinion


@bp.route("/notifications", methods=["GET", "POST"], endpoint="notifications")
@login_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
@no_store
def notifications_page():
    settings_form = NotificationSettingsForm()
    if request.method == "POST":
        if request.form.get("action") == "read-all" and EmptyForm().validate_on_submit():
            notifications.mark_all_read(db.session, _user())
            db.session.commit()
            flash("All notifications are marked as read.", "success")
        elif settings_form.validate_on_submit():
            notifications.set_email_preference(db.session, current_user.id, settings_form.email_notifications.data)
            db.session.commit()
            flash("Your email preference is saved.", "success")
        return redirect(url_for("community.notifications"))
    settings_form.email_notifications.data = notifications.wants_email(db.session, current_user.id)
    page = notifications.list_notifications(db.session, _user(), posts.clamp_page(request.args.get("page")))
    return render_template("community/notifications.html", page=page, settings_form=settings_form, action_form=EmptyForm(),
                           my_threads=posts.user_threads(db.session, current_user),
                           invitations=invitations.pending_for(db.session, current_user))


@bp.route("/notifications/<int:notification_id>")
@login_required
@no_store
def open_notification(notification_id: int):
    with immediate_transactions():
        note = notifications.mark_read(db.session, _user(), notification_id)
        if note is None:
            abort(404)
        db.session.commit()
    if note.thread_id:
        anchor = f"post-{note.post_id}" if note.post_id else None
        return redirect(url_for("community.thread", thread_id=note.thread_id, _anchor=anchor))
    return redirect(url_for("community.notifications"))


@bp.route("/search")
def search():
    form = SearchForm(request.args)
    query = (form.q.data or "").replace("\x00", "")
    page = None
    if query and form.validate():
        page = posts.search_threads(db.session, current_user, query, posts.clamp_page(request.args.get("page")))
    return render_template("community/search.html", form=form, page=page, query=query), 400 if form.errors else 200


@bp.route("/second-opinion")
def second_opinion():
    page = posts.second_opinion(db.session, posts.clamp_page(request.args.get("page")))
    articles = posts.expert_perspective_articles(db.session) if page.page == 1 else []
    return render_template("community/second_opinion.html", page=page, articles=articles)


# ---------------------------------------------------------------- moderation


@bp.route("/moderation")
@moderator_required
@no_store
def moderation_queue():
    items = moderation.queue(db.session, limit=1000)
    number = posts.clamp_page(request.args.get("page"))
    page = posts.Page(items[(number - 1) * QUEUE_PAGE:number * QUEUE_PAGE], number, QUEUE_PAGE, len(items))
    hidden, hidden_total = review_moderation.hidden_reviews(db.session)
    return render_template("community/moderation/queue.html", items=page.items, page=page,
                           groups=moderation.pending_groups(db.session),
                           decision_form=lambda g: GroupDecisionForm(prefix=f"g{g.id}"), action_form=EmptyForm(),
                           waiting=moderation.queue_size(db.session),
                           reported_reviews=review_moderation.reported_reviews(db.session),
                           reported_reviews_total=review_moderation.reported_count(db.session),
                           hidden_reviews=hidden, hidden_reviews_total=hidden_total, review_hide_form=_review_hide_form)


@bp.route("/moderation/posts/<int:post_id>")
@moderator_required
@no_store
def moderate_post(post_id: int):
    post = db.session.get(CommunityPost, post_id)
    if post is None:
        abort(404)
    return _render_moderate(post)


def _render_moderate(post: CommunityPost, status: int = 200, redact_conflict: str | None = None, **forms):
    item = next((i for i in moderation.queue(db.session, limit=1000) if i.post.id == post.id), moderation.QueueItem(post))
    parent = db.session.get(CommunityPost, post.parent_id) if post.parent_id else None
    question = posts.question_post(db.session, post.thread) if not post.is_question else None
    standing = posts.standing_of(db.session, post.author_id) if post.author_id else None
    forms.setdefault("hide_form", ReasonForm(prefix="hide"))
    forms.setdefault("warn_form", ReasonForm(prefix="warn"))
    forms.setdefault("suspend_form", SuspendForm(prefix="suspend"))
    forms.setdefault("ban_form", BanForm(prefix="ban"))
    if "redact_form" not in forms:
        forms["redact_form"] = RedactForm(prefix="redact", body=post.body)
        forms["redact_form"].shown_version.show(moderation.redact_values(post))
    return render_template("community/moderation/post.html", post=post, item=item, parent=parent, question=question,
                           standing=standing, action_form=EmptyForm(), author=post.author, redact_conflict=redact_conflict,
                           may_sanction=post.author is not None and moderation.may_sanction(_user(), post.author), **forms), status


@bp.route("/moderation/posts/<int:post_id>/<action>", methods=["POST"])
@moderator_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
@no_store
def moderate_action(post_id: int, action: str):
    post = db.session.get(CommunityPost, post_id)
    if post is None:
        abort(404)
    me = _user()
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
        post = posts.post_for_update(db.session, post.id)
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
        if action in forms and exc.field and hasattr(form, exc.field):
            getattr(form, exc.field).errors.append(exc.message)
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
        moderation.restore(db.session, me, post, _thread_url)
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
@moderator_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
def decide_group(group_id: int):
    item = db.session.get(CommunityGroup, group_id)
    if item is None:
        abort(404)
    form = GroupDecisionForm(prefix=f"g{group_id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.decide_group(db.session, _user(), item, approve=bool(form.approve.data), reason=form.reason.data or "")
    except CommunityError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"{item.name} is {'approved' if item.status == 'approved' else 'rejected'}.", "success")
    return redirect(url_for("community.moderation_queue"))


def _review_hide_form(review_id: int) -> ReasonForm:
    return ReasonForm(prefix=f"review{review_id}")


@bp.route("/moderation/reviews/<int:review_id>/<action>", methods=["POST"])
@moderator_required
@limiter.limit(ACTION_LIMIT, methods=["POST"])
@no_store
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
    me = _user()
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
@moderator_required
@no_store
def moderation_log():
    page = moderation.action_log(db.session, posts.clamp_page(request.args.get("page")))
    return render_template("community/moderation/log.html", page=page)
