"""The guesses the engine relies on where Custify's documentation is silent, with their sources.

custify-api.md tags every fact DOC or INF and lists open questions (§19). Where the engine
depends on an INF answer, the fact is a row here, next to what keeps the engine safe when the
guess is wrong (a fallback, a guard, a read-back) and the sandbox knob (``sandbox.faults``)
that plays the other answer. docs/architecture.md ("INF facts the engine relies on") mirrors
this table; a test keeps the two in step. The registry rows that carry a fact point back here
through their ``source`` text (``Finder.source``, ``Action.alternates``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    """One behaviour the engine relies on, and how it stays safe if Custify differs."""

    name: str
    what: str
    #: "DOC §n" / "INF §n" (custify-api.md), possibly both where the sources disagree
    source: str
    fallback: str
    #: the sandbox fault knob that varies it ("" where no plausible alternative is modelled)
    knob: str = ""


INF_FACTS: tuple[Fact, ...] = (
    Fact(
        "batch_status_format",
        "GET /batch/{id} reports the batch's state and per-job results",
        "INF §15 (the format is not documented)",
        "the status parser accepts the plausible shapes and calls anything else unknown; a row "
        "is confirmed only by a job result naming it, else by reading the record back, else it "
        "is sent through its single endpoint",
        "batch_status_shape",
    ),
    Fact(
        "batch_available",
        "POST /batch is enabled for the account and the key",
        "DOC §15; INF that every plan and key has it",
        "a 400/403/404/405 on POST /batch sends the rows through POST /people, POST /company "
        "and POST /event, and the refusal is remembered per connection for 24 h",
        "batch_unavailable",
    ),
    Fact(
        "batch_processing_time",
        "a batch job completes within seconds",
        "INF §15 (no processing time is documented)",
        "the first poll waits for the completion time learned from earlier jobs (first guess "
        "2 s, at most 60 s), later polls back off; a job still pending after 15 min is read "
        "back",
        "batch_delay_s",
    ),
    Fact(
        "ticket_create_upserts",
        "POST /ticket with a known externalId updates that ticket",
        "INF §7, §16",
        "a ticket create counts as one Custify may duplicate: never resent blind, and an "
        "unconfirmed one is looked up with GET /ticket?externalId= before it is sent again",
        "ticket_create_duplicates",
    ),
    Fact(
        "time_track_spelling",
        "the time-track path is /time-track",
        "DOC §13 (the path key says /time-track, every curl sample /time_track)",
        "on a 404 the client tries /time_track, and remembers the spelling that answers",
        "time_track_spelling",
    ),
    Fact(
        "time_track_id_placement",
        "time-track updates and deletes take the id as ?id=",
        "INF §13, §19 (the delete sample puts it in the path)",
        "on a 404/400 the client tries /time-track/{id}, and remembers the placement that works",
        "time_track_id_in",
    ),
    Fact(
        "user_id_unique",
        "a user_id names one person",
        "INF §2 (not documented; a delete answer reads 'All users associated with X')",
        "deletes, updates and gets by user_id resolve to one Custify id first (extract, then "
        "the get and a filtered list); several matches are rejected with every id",
        "",
    ),
    Fact(
        "email_unique",
        "an e-mail names one person",
        "DOC §2 says otherwise: an e-mail match with another user_id creates a new person",
        "as for user_id: resolved to one id first, several = rejected with the ids; upserts "
        "matched on e-mail warn when some rows carry a user_id",
        "",
    ),
    Fact(
        "note_html_comments_kept",
        "Custify keeps an HTML comment at the end of a note's text",
        "INF §6 (text is HTML)",
        "a note's recovery falls back to the same visible text created since the attempt",
        "",
    ),
    Fact(
        "tag_names_unique_per_category",
        "tag names are unique within a category",
        "INF §1.6, §5 (no upsert by name exists)",
        "a name matching several tags is rejected with their ids",
        "",
    ),
    Fact(
        "write_answer_has_record",
        "POST /people and POST /company answer with the written record (its id)",
        "INF §19 (open question; the PHP tests mock it)",
        "the id is taken from the answer when it is there, else the one the row already "
        "knew; a record whose id is unknown is found by its identifier when a later action "
        "needs it",
        "",
    ),
    Fact(
        "comment_moves_parent",
        "a comment created or edited moves its note's or task's updated_at",
        "INF §9 (comments have no global list, and their listing documents no timestamps)",
        "comments are read under the notes and tasks whose updated_at moved; every parent's "
        "list is read on the first run, --full-refresh and --reconcile, so a comment under a "
        "parent that did not move shows at the next reconcile",
    ),
    Fact(
        "financial_timestamps",
        "financial lists carry updated_at and sort by it (sort=updated_at)",
        "INF §12, §19 (no timestamps in the listing schemas)",
        "the scan stops early only on pages that carry updated_at in descending order; "
        "without them it reads the whole list, and the cursor does not move",
    ),
    Fact(
        "write_merges",
        "a people/company write merges: fields left out keep their values",
        "INF §1.5",
        "only mapped fields are sent; the next extract shows any field Custify cleared, and "
        "the diff puts it back",
        "",
    ),
    Fact(
        "updated_at_sort_honoured",
        "notes and tickets sort by updated_at through sort/order (the watch's probes read "
        "page 1 of that order)",
        "INF §1.7, §17",
        "a probe whose rows are not descending proves the sort ignored: that object is then "
        "scanned every max_interval_s instead; every object is scanned at least that often "
        "whatever its probes say",
        "ignore_sort",
    ),
)

FACTS_BY_NAME = {f.name: f for f in INF_FACTS}
