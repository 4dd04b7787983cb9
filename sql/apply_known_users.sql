-- Which of the requested users ($user_ids) have any logged view, and how many: a user with none
-- is cold, and the scorer falls back to a history-free prediction.
SELECT user_id, count(*) AS views
FROM skip_labels
WHERE list_contains($user_ids, user_id)
GROUP BY user_id
