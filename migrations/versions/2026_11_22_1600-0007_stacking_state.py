"""A lighter ``stacking_state``: only the awards and credentials that re-evaluation can use.

Same contract as in 0006 (NULL when no pathway can be affected; else, after the
learner's advisory lock, what ``credentials.awarding`` evaluates), with less to build
and send on every issuance:

* the awards only of the pathways a version of which names the course (the others
  cannot change, and re-evaluation skipped them);
* the learner's *valid* credentials only (no other status ever counts), without the
  two institution joins per credential: ids, and the institutions' slugs once;
* the credentials column by column (one array per column builds faster than one
  array per credential).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 16:00
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(STACKING_STATE)


# [active versions naming the course: [version id, pathway id]],
# [awards of the pathways that name it: [version id, pathway id, credential id, status,
#  suspended by stacking]], [[institution id, slug]],
# [issuer ids, ids, course owner ids, course codes, ECTS, grades, issued on, valid until]
# (each a list, one entry per valid credential; null instead of them all without any).
STACKING_STATE = """
CREATE OR REPLACE FUNCTION stacking_state(p_course text, p_email text, p_lock_class integer)
RETURNS json LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    active json;
    versions bigint[];
    pathways uuid[];
BEGIN
    SELECT json_agg(json_build_array(u.version_id, u.pathway_id)) FILTER (WHERE u.active),
           array_agg(u.version_id), array_agg(u.pathway_id)
    INTO active, versions, pathways FROM pathway_unit u WHERE u.course = p_course;
    IF active IS NULL AND NOT EXISTS (SELECT 1 FROM stacked_credential s
            WHERE s.learner_email = p_email AND s.version_id = ANY(versions)) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(p_email));
    RETURN json_build_array(
        coalesce(active, '[]'),
        (SELECT coalesce(json_agg(json_build_array(s.version_id, s.pathway_id, s.credential_id,
                c.status, s.suspended_by_stacking)), '[]')
         FROM stacked_credential s JOIN credential c ON c.id = s.credential_id
         WHERE s.learner_email = p_email AND s.pathway_id = ANY(pathways)),
        (SELECT json_agg(json_build_array(id, slug)) FROM institution),
        (SELECT json_build_array(array_agg(c.institution_id), array_agg(c.id),
                array_agg(c.course_institution_id), array_agg(c.course_code), array_agg(c.ects),
                array_agg(c.grade), array_agg(c.issued_on), array_agg(c.valid_until))
         FROM credential c
         WHERE c.learner_email = p_email AND c.status = 'valid'
         AND c.course_code NOT LIKE 'pathway:%' HAVING count(*) > 0));
END
$$
"""
