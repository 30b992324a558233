-- parameters: ["",500]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "id_number" > $1 order by "id_number" limit $2;

-- parameters: ["deceased","death","correction"]
select "e"."person_id" as "id", max("e"."occurred_on") as "last" from "life_events" as "e" inner join "persons" as "p" on "p"."id_number" = "e"."person_id" where "p"."status" = $1 and "e"."event_type" not in ($2, $3) group by "e"."person_id";

-- parameters: ["001090000001","death","correction"]
select max("occurred_on") as "last" from "life_events" where "person_id" = $1 and "event_type" not in ($2, $3);

-- parameters: ["001090000001","079190000002"]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "id_number" in ($1, $2);

-- parameters: ["H-1"]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "household_id" = $1;

-- parameters: ["nguyen van an","1990","1990.",200]
select "id_number", "full_name", "name_folded", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_province", "birth_commune", "hometown", "permanent_commune", "temporary_commune", "current_commune", "father_id", "mother_id", "spouse_id", "household_id", "relationship_to_head", "status", "death_date", "updated_at" from "persons" where "name_folded" = $1 and "birth_date" >= $2 and "birth_date" < $3 limit $4;
