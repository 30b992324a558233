CREATE TABLE classified AS
    WITH s AS (
      SELECT rn, nullif(trim(in_record), '') AS record, CASE WHEN contains(in_id, ' ') OR contains(in_id, '.') OR contains(in_id, chr(9)) THEN regexp_replace(in_id, '[\s.]', '', 'g') ELSE coalesce(in_id, '') END AS id_in,
             NULL::VARCHAR AS line_key,
             coalesce(in_name, '') AS name_in,
             try_strptime(trim(in_birth), ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y', '%Y/%m/%d', '%Y%m%d'])::DATE AS birth_raw0,
             nullif(trim(in_birth), '') AS birth_cell,
             CASE upper(trim(in_sex)) WHEN 'M' THEN 'M' WHEN 'NAM' THEN 'M' WHEN 'MALE' THEN 'M' WHEN '1' THEN 'M'
                                      WHEN 'F' THEN 'F' WHEN 'NỮ' THEN 'F' WHEN 'NU' THEN 'F' WHEN 'FEMALE' THEN 'F' WHEN '0' THEN 'F'
                                      ELSE CASE upper(nfc_normalize(trim(in_sex))) WHEN 'NỮ' THEN 'F' END END AS sex_in,
             nullif(trim(in_commune), '') AS commune_in
      FROM src
    ),
    s2 AS (
      -- A two-digit year ('15/03/85') reads as year 85: the latest century that does not put it after today.
      SELECT s.* EXCLUDE (birth_raw0),
             CASE WHEN year(birth_raw0) < 100
                  THEN make_date(year(birth_raw0) + CASE WHEN year(birth_raw0) <= 26 THEN 2000 ELSE 1900 END, month(birth_raw0), day(birth_raw0))
                  ELSE birth_raw0 END AS birth_raw
      FROM s
    ),
    k0 AS (
      SELECT s2.* EXCLUDE (birth_raw, birth_cell, id_in),
             CASE WHEN birth_raw BETWEEN DATE '1800-01-01' AND DATE '2026-12-05' THEN birth_raw END AS birth_d,
             CASE WHEN birth_raw BETWEEN DATE '1800-01-01' AND DATE '2026-12-05' THEN CAST(birth_raw AS VARCHAR) END AS birth_iso,
             -- A year, or a year and month, alone (also with 00 for the unknown parts): the registry's partial dates.
             CASE WHEN birth_raw IS NULL AND birth_cell IS NOT NULL THEN CASE WHEN regexp_full_match(birth_cell, '[0-9]{4}') THEN birth_cell
               WHEN regexp_full_match(birth_cell, '00[/.-]00[/.-][0-9]{4}') THEN right(birth_cell, 4)
               WHEN regexp_full_match(birth_cell, '[0-9]{4}-[0-9]{2}(-00)?') THEN CASE WHEN regexp_extract(birth_cell, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm']).y = '' THEN NULL WHEN CAST(regexp_extract(birth_cell, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm']).m AS INTEGER) = 0 THEN regexp_extract(birth_cell, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm']).y ELSE regexp_extract(birth_cell, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm']).y || '-' || lpad(regexp_extract(birth_cell, '^([0-9]{4})-(0[0-9]|1[0-2])(?:-00)?$', ['y', 'm']).m, 2, '0') END
               ELSE CASE WHEN regexp_extract(birth_cell, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y']).y = '' THEN NULL WHEN CAST(regexp_extract(birth_cell, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y']).m AS INTEGER) = 0 THEN regexp_extract(birth_cell, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y']).y ELSE regexp_extract(birth_cell, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y']).y || '-' || lpad(regexp_extract(birth_cell, '^(?:00[/.-])?(0?[0-9]|1[0-2])[/.-]([0-9]{4})$', ['m', 'y']).m, 2, '0') END END END AS birth_part,
             -- A spreadsheet drops the leading zero of a number: 11 digits are read as the 12-digit ID.
             CASE WHEN length(id_in) = 11 AND regexp_full_match(id_in, '[0-9]{11}') THEN '0' || id_in ELSE id_in END AS id_in,
             length(id_in) = 11 AND regexp_full_match(id_in, '[0-9]{11}') AS id_padded
      FROM s2
    ),
    k AS (
      SELECT k0.*, coalesce(birth_iso, birth_part) AS birth_text,
             CASE WHEN regexp_full_match(id_in, '[0-9]{12}')
                       AND substr(id_in, 1, 1) = '0'
                       AND substr('0100000000000000000000000000000000000000000000000000000000000000000000000000000100000000000000000000', CAST(substr(id_in, 2, 2) AS INTEGER) + 1, 1) = '1'
                       AND 1900 + (CAST(substr(id_in, 4, 1) AS INTEGER) // 2) * 100 + CAST(substr(id_in, 5, 2) AS INTEGER) <= 2026
                  THEN 'cccd'
                  WHEN length(id_in) = 9 AND regexp_full_match(id_in, '[0-9]{9}') THEN 'cmnd'
                  ELSE 'bad' END AS id_kind
      FROM k0
    ),
    j AS (
      SELECT k.*, p.id_number AS p_id, p.full_name AS p_full_name, p.birth_date AS p_birth,
             p.sex AS p_sex, p.status AS p_status,
             p.current_commune AS p_commune,
             p.name_folded AS p_name_folded
      FROM k
      LEFT JOIN cards oc ON oc.rn = k.rn
      LEFT JOIN persons p
             ON p.id_number = CASE WHEN k.id_kind = 'cccd' THEN k.id_in WHEN k.id_kind = 'cmnd' THEN oc.id_number END
    ),
    f AS (
      -- Most rows carry the registry's name exactly: fold and compare only the others.
      SELECT j.*,
             CASE WHEN p_id IS NULL THEN NULL WHEN name_in = p_full_name THEN 1.0
                  ELSE jaro_winkler_similarity(trim(regexp_replace(strip_accents(replace(lower(name_in), 'đ', 'd')), '\s+', ' ', 'g')), p_name_folded) END AS name_sim0,
             coalesce(starts_with(birth_text, p_birth), false) AS birth_ok,
             cm.code IS NOT NULL AS commune_ok
      FROM j
      LEFT JOIN read_parquet('communes.parquet') cm ON cm.code = j.commune_in AND cm.commune_2025 = j.p_commune
    ),
    g AS (
      -- The other word orders (given name first) and the given name, only where the plain similarity falls short.
      SELECT f.* EXCLUDE (name_sim0, p_name_folded),
             CASE WHEN name_sim0 IS NULL OR name_sim0 >= 0.92 THEN name_sim0
                  ELSE greatest(name_sim0, jaro_winkler_similarity(array_to_string(list_sort(string_split(trim(regexp_replace(strip_accents(replace(lower(name_in), 'đ', 'd')), '\s+', ' ', 'g')), ' ')), ' '), array_to_string(list_sort(string_split(p_name_folded, ' ')), ' '))) END AS name_sim,
             CASE WHEN name_sim0 IS NULL OR name_sim0 >= 0.92 THEN true
                  ELSE string_split(trim(regexp_replace(strip_accents(replace(lower(name_in), 'đ', 'd')), '\s+', ' ', 'g')), ' ')[-1] = string_split(p_name_folded, ' ')[-1] END AS same_given
      FROM f
    ),
    l AS (
      SELECT g.*, CASE WHEN p_id IS NULL THEN false
            WHEN name_sim = 1.0 THEN true
            WHEN name_sim >= 0.92 AND (birth_ok OR (birth_d IS NOT NULL AND day(birth_d) <= 12 AND day(birth_d) <> month(birth_d)
                    AND starts_with(CAST(make_date(year(birth_d), day(birth_d), month(birth_d)) AS VARCHAR), p_birth))) THEN true
            WHEN name_sim >= 0.75 AND same_given AND (birth_ok OR (birth_d IS NOT NULL AND day(birth_d) <= 12 AND day(birth_d) <> month(birth_d)
                    AND starts_with(CAST(make_date(year(birth_d), day(birth_d), month(birth_d)) AS VARCHAR), p_birth))) THEN true
            WHEN name_sim >= 0.95 AND (coalesce(substr(birth_iso, 1, 7) = substr(p_birth, 1, 7), false) OR birth_d IS NULL) THEN true
            ELSE false END AS linked,
             concat_ws(';', CASE WHEN id_kind = 'cmnd' OR id_padded THEN 'id_number' END, CASE WHEN name_in = p_full_name THEN NULL
                                  WHEN lower(name_in) = lower(p_full_name) THEN NULL
                                  WHEN lower(nfc_normalize(trim(regexp_replace(name_in, '\s+', ' ', 'g')))) = lower(p_full_name) THEN NULL
                                  ELSE 'full_name' END, CASE WHEN NOT birth_ok THEN 'birth_date' END, CASE WHEN sex_in IS DISTINCT FROM p_sex THEN 'sex' END, CASE WHEN NOT commune_ok THEN 'commune' END) AS mismatch_list
      FROM g
    )
    SELECT rn, record, linked,
           CASE WHEN linked THEN p_id END AS link_id,
           NULL::VARCHAR AS line_key,
           CASE WHEN id_kind = 'bad' THEN 'INVALID_ID'
                WHEN NOT linked THEN 'NOT_FOUND'
                WHEN p_status = 'deceased' THEN 'DECEASED'
                WHEN mismatch_list <> '' THEN 'MISMATCH'
                ELSE 'MATCHED' END AS status0,
           CASE WHEN id_kind = 'bad' THEN
                  CASE WHEN id_in = '' THEN 'id_missing'
                       WHEN id_padded THEN 'id_malformed'
                       WHEN regexp_full_match(id_in, '[0-9]{12}') THEN 'id_structure_invalid'
                       ELSE 'id_malformed' END
                WHEN NOT linked THEN
                  CASE WHEN id_kind = 'cmnd' AND p_id IS NULL THEN 'old_card_unknown'
                       WHEN p_id IS NULL THEN 'id_not_in_registry'
                       ELSE 'id_other_person' END
                WHEN id_kind = 'cmnd' THEN 'old_card_number'
                WHEN id_padded THEN 'id_leading_zero_lost'
           END AS reason,
           -- What the candidate search needs of the rows whose ID failed.
           CASE WHEN NOT linked THEN id_in END AS search_id,
           CASE WHEN NOT linked THEN name_in END AS search_name,
           CASE WHEN NOT linked THEN birth_text END AS search_birth,
           CASE WHEN NOT linked AND day(birth_d) <= 12 AND day(birth_d) <> month(birth_d) THEN strftime(make_date(year(birth_d), day(birth_d), month(birth_d)), '%Y-%m-%d') END AS search_birth_swapped,
           CASE WHEN NOT linked THEN sex_in END AS search_sex,
           CASE WHEN NOT linked THEN p_id END AS search_owner,
           CASE WHEN linked AND mismatch_list <> '' THEN mismatch_list END AS mismatch_fields,
           CASE WHEN linked AND (id_kind = 'cccd' OR true) THEN p_id END AS linked_id,
           CASE WHEN linked AND id_kind = 'cmnd' THEN p_id END AS registry_id_number,
           NULL::VARCHAR AS registry_full_name,
           NULL::VARCHAR AS registry_birth_date,
           NULL::VARCHAR AS registry_commune
    FROM l;

CREATE TABLE need AS
    SELECT rn, coalesce(search_id, '') AS id_in, search_name AS name_in, name_key, array_to_string(list_sort(string_split(name_key, ' ')), ' ') AS sorted_key,
           search_birth AS birth_text, search_birth_swapped AS birth_swapped, substr(search_birth, 1, 4) AS birth_year,
           search_sex AS sex_in, search_owner AS owner_id
    FROM (SELECT *, trim(regexp_replace(strip_accents(replace(lower(search_name), 'đ', 'd')), '\s+', ' ', 'g')) AS name_key FROM classified WHERE NOT linked AND status0 IN ('NOT_FOUND', 'INVALID_ID'))
    WHERE name_key <> '';

CREATE TABLE extra AS
    -- Grouped on a 64-bit hash of the ID (cheaper than the text): a collision only ranks a few more rows, never wrongly.
    WITH m AS (SELECT hash(link_id) AS h FROM classified WHERE linked GROUP BY h HAVING count(*) > 1),
    d AS (
      SELECT rn, link_id, row_number() OVER (PARTITION BY link_id, '' ORDER BY rn) AS dup_rank
      FROM classified WHERE linked AND hash(link_id) IN (SELECT h FROM m)
    ),
    r AS (
      SELECT rn, dup_rank > 1 AS dup,
             NULL::BIGINT AS line_rank
      FROM d
    )
    SELECT * FROM r WHERE dup;

CREATE VIEW results AS
    SELECT c.rn, c.record,
           CASE WHEN cd.status IS NOT NULL THEN cd.status
                WHEN e.dup THEN 'DUPLICATE_IN_SOURCE'

                ELSE c.status0 END AS status,
           c.reason,
           CASE WHEN cd.status = 'PROBABLE_MATCH' THEN cd.person_id ELSE c.linked_id END AS linked_id,
           CASE WHEN cd.status = 'PROBABLE_MATCH' THEN 'id_number' ELSE c.mismatch_fields END AS mismatch_fields,
           c.registry_id_number, c.registry_full_name, c.registry_birth_date, c.registry_commune,
           cd.person_id AS suggested_id,
           CAST(cd.score AS VARCHAR) AS match_score
    FROM classified c LEFT JOIN extra e ON e.rn = c.rn LEFT JOIN candidates cd ON cd.rn = c.rn;
