-- parameters: ["",500]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "id_number" > ? order by "id_number" limit ?;

-- parameters: ["deceased","death","correction"]
select "e"."person_id" as "id", max("e"."occurred_on") as "last" from "life_events" as "e" inner join "persons" as "p" on "p"."id_number" = "e"."person_id" where "p"."status" = ? and "e"."event_type" not in (?, ?) group by "e"."person_id";

-- parameters: ["001090000001","death","correction"]
select max("occurred_on") as "last" from "life_events" where "person_id" = ? and "event_type" not in (?, ?);

-- parameters: ["001090000001","079190000002"]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "id_number" in (?, ?);

-- parameters: ["H-1"]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "household_id" = ?;

-- parameters: ["nguyen van an","1990","1990.",200]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "name_folded" = ? and "birth_date" >= ? and "birth_date" < ? limit ?;
