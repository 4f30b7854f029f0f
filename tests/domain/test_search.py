"""Search requests become typed queries; fields, operators and values a resource lacks are refused by path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from farmstead.domain.search import (
    VOCABULARY,
    CreatorFirst,
    FieldOrder,
    FieldTest,
    Group,
    Kind,
    ParameterOrder,
    ParameterTest,
    Resource,
    SearchQuery,
    SearchRefused,
    TermTest,
    identify_creators,
    parse,
)

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def one(*filters, operator="AND") -> dict:
    return {"filters": list(filters), "operator": operator}


def string(name, value, operator="EQUAL"):
    return {"stringFilter": {"name": name, "operator": operator, "value": value}}


def problems_of(resource, filters=None, sorts=None) -> list[tuple[str, str]]:
    with pytest.raises(SearchRefused) as refused:
        parse(resource, filters, sorts)
    return refused.value.problems


def test_no_filters_and_no_sorts_is_an_empty_query():
    assert parse(Resource.JOBS, None, None) == SearchQuery(None, ())


def test_string_filter_on_a_status_becomes_a_field_test():
    query = parse(Resource.JOBS, one(string("TASK_RUN_STATUS", "READY")), None)
    assert query.where == Group("AND", (FieldTest("TASK_RUN_STATUS", "EQUAL", ("READY",)),))


def test_string_list_filter_keeps_every_value():
    query = parse(Resource.STEPS, one({"stringListFilter": {
        "name": "TASK_RUN_STATUS", "operator": "ANY_EQUALS", "values": ["READY", "RUNNING"]}}), None)
    assert query.where.members == (FieldTest("TASK_RUN_STATUS", "ANY_EQUALS", ("READY", "RUNNING")),)


def test_number_fields_take_their_values_as_integers():
    query = parse(Resource.JOBS, one(string("PRIORITY", "50", "NOT_EQUAL")), None)
    assert query.where.members == (FieldTest("PRIORITY", "NOT_EQUAL", (50,)),)


def test_date_time_filter_keeps_the_timestamp():
    query = parse(Resource.JOBS, one({"dateTimeFilter": {
        "name": "ENDED_AT", "operator": "GREATER_THAN_EQUAL_TO", "dateTime": WHEN}}), None)
    assert query.where.members == (FieldTest("ENDED_AT", "GREATER_THAN_EQUAL_TO", (WHEN,)),)


def test_nested_groups_keep_their_operators():
    query = parse(Resource.JOBS, one(string("NAME", "a"), {"groupFilter": one(
        string("NAME", "b"), string("NAME", "c"), operator="OR")}), None)
    assert query.where == Group("AND", (FieldTest("NAME", "EQUAL", ("a",)), Group("OR", (
        FieldTest("NAME", "EQUAL", ("b",)), FieldTest("NAME", "EQUAL", ("c",))))))


def test_task_run_status_is_accepted_for_a_tasks_run_status():
    query = parse(Resource.TASKS, one(string("TASK_RUN_STATUS", "FAILED")),
                  [{"fieldSort": {"name": "TASK_RUN_STATUS", "sortOrder": "ASCENDING"}}])
    assert query.where.members == (FieldTest("RUN_STATUS", "EQUAL", ("FAILED",)),)
    assert query.order == (FieldOrder("RUN_STATUS", False),)


def test_fuzzy_search_term_needs_every_word_in_lower_case():
    query = parse(Resource.JOBS, one({"searchTermFilter": {"searchTerm": "Hero  Shot"}}), None)
    assert query.where.members == (TermTest(("hero", "shot")),)


def test_contains_search_term_is_one_fragment():
    query = parse(Resource.JOBS, one({"searchTermFilter": {"searchTerm": "Hero Shot", "matchType": "CONTAINS"}}),
                  None)
    assert query.where.members == (TermTest(("hero shot",)),)


def test_blank_fuzzy_search_term_is_refused():
    assert problems_of(Resource.JOBS, one({"searchTermFilter": {"searchTerm": "   "}}))[0][0] == (
        "filterExpressions.filters[0].searchTermFilter.searchTerm")


def test_parameter_filter_reads_numbers_and_strips_the_openjd_prefix():
    query = parse(Resource.TASKS, one({"parameterFilter": {
        "name": "Task.Param.Frame", "operator": "GREATER_THAN", "value": "7"}}), None)
    assert query.where.members == (ParameterTest("Frame", "GREATER_THAN", "7", 7.0),)
    query = parse(Resource.JOBS, one({"parameterFilter": {"name": "Param.Scene", "operator": "EQUAL",
                                                          "value": "a.blend"}}), None)
    assert query.where.members == (ParameterTest("Scene", "EQUAL", "a.blend", None),)


def test_sorts_keep_their_order_and_direction():
    query = parse(Resource.JOBS, None, [
        {"userJobsFirst": {"userIdentityId": "u-1"}},
        {"fieldSort": {"name": "PRIORITY", "sortOrder": "DESCENDING"}},
        {"parameterSort": {"name": "Frame", "sortOrder": "ASCENDING"}}])
    assert query.order == (CreatorFirst("u-1"), FieldOrder("PRIORITY", True), ParameterOrder("Frame", False))


def test_identify_creators_fills_in_the_created_by_values():
    query = identify_creators(parse(Resource.STEPS, None, [{"userJobsFirst": {"userIdentityId": "u-1"}}]),
                              lambda user: (user, f"arn:{user}"))
    assert query.order == (CreatorFirst("u-1", ("u-1", "arn:u-1")),)


# --- refusals ----------------------------------------------------------------------------------------

def test_unknown_field_is_refused_naming_its_path():
    [(name, message)] = problems_of(Resource.JOBS, one(string("COLOUR", "red")))
    assert name == "filterExpressions.filters[0].stringFilter.name"
    assert "COLOUR" in message and "TASK_RUN_STATUS" in message


def test_field_of_another_resource_is_refused():
    [(name, message)] = problems_of(Resource.JOBS, None, [{"fieldSort": {"name": "TASK_ID", "sortOrder": "ASCENDING"}}])
    assert name == "sortExpressions[0].fieldSort.name" and "'TASK_ID' is not a field of jobs" in message


@pytest.mark.parametrize("operator", ["NOT_EQUAL", "ANY_EQUALS", "ALL_NOT_EQUALS"])
def test_date_time_filter_refuses_the_operators_the_model_says_it_lacks(operator):
    [(name, _)] = problems_of(Resource.JOBS, one({"dateTimeFilter": {
        "name": "CREATED_AT", "operator": operator, "dateTime": WHEN}}))
    assert name == "filterExpressions.filters[0].dateTimeFilter.operator"


@pytest.mark.parametrize("operator", ["GREATER_THAN", "ANY_EQUALS"])
def test_string_filter_takes_only_equal_and_not_equal(operator):
    assert problems_of(Resource.JOBS, one(string("NAME", "x", operator)))[0][0].endswith("stringFilter.operator")


def test_string_list_filter_takes_only_any_equals_and_all_not_equals():
    [(name, _)] = problems_of(Resource.JOBS, one({"stringListFilter": {
        "name": "NAME", "operator": "EQUAL", "values": ["x"]}}))
    assert name.endswith("stringListFilter.operator")


def test_parameter_filter_refuses_list_operators():
    [(name, _)] = problems_of(Resource.TASKS, one({"parameterFilter": {
        "name": "Frame", "operator": "ANY_EQUALS", "value": "1"}}))
    assert name.endswith("parameterFilter.operator")


def test_date_field_in_a_string_filter_and_string_field_in_a_date_filter_are_refused():
    problems = problems_of(Resource.JOBS, one(string("CREATED_AT", "2026"), {"dateTimeFilter": {
        "name": "NAME", "operator": "EQUAL", "dateTime": WHEN}}))
    assert [p[0] for p in problems] == ["filterExpressions.filters[0].stringFilter.name",
                                        "filterExpressions.filters[1].dateTimeFilter.name"]


def test_status_value_outside_its_enum_is_refused_naming_the_value():
    [(name, message)] = problems_of(Resource.JOBS, one({"stringListFilter": {
        "name": "TASK_RUN_STATUS", "operator": "ANY_EQUALS", "values": ["READY", "DONE"]}}))
    assert name == "filterExpressions.filters[0].stringListFilter.values[1]" and "DONE" in message


def test_number_field_with_a_non_integer_is_refused():
    assert problems_of(Resource.JOBS, one(string("PRIORITY", "high")))[0][0].endswith("stringFilter.value")


def test_parameters_are_refused_where_items_have_none():
    problems = problems_of(Resource.STEPS, one({"parameterFilter": {"name": "Frame", "operator": "EQUAL",
                                                                    "value": "1"}}),
                           [{"parameterSort": {"name": "Frame", "sortOrder": "ASCENDING"}}])
    assert [p[0] for p in problems] == ["filterExpressions.filters[0].parameterFilter.name",
                                        "sortExpressions[0].parameterSort.name"]


def test_parameter_name_that_is_no_identifier_is_refused():
    [(name, _)] = problems_of(Resource.TASKS, None, [{"parameterSort": {"name": "Fra\"me", "sortOrder": "ASCENDING"}}])
    assert name == "sortExpressions[0].parameterSort.name"


def test_user_jobs_first_is_refused_for_workers():
    assert problems_of(Resource.WORKERS, None, [{"userJobsFirst": {"userIdentityId": "u"}}])[0][0] == (
        "sortExpressions[0].userJobsFirst")


def test_worker_status_takes_the_shown_values_running_and_idle_and_refuses_others():
    query = parse(Resource.WORKERS, one({"stringListFilter": {
        "name": "STATUS", "operator": "ANY_EQUALS", "values": ["RUNNING", "IDLE", "STOPPED"]}}), None)
    assert query.where.members == (FieldTest("STATUS", "ANY_EQUALS", ("RUNNING", "IDLE", "STOPPED")),)
    [(name, message)] = problems_of(Resource.WORKERS, one(string("STATUS", "BUSY")))
    assert name == "filterExpressions.filters[0].stringFilter.value" and "RUNNING" in message


def test_workers_are_searched_by_host_name_and_have_no_parameters():
    query = parse(Resource.WORKERS, one(string("HOST_NAME", "render-01")),
                  [{"fieldSort": {"name": "HOST_NAME", "sortOrder": "DESCENDING"}}])
    assert query.where.members == (FieldTest("HOST_NAME", "EQUAL", ("render-01",)),)
    assert query.order == (FieldOrder("HOST_NAME", True),)
    problems = problems_of(Resource.WORKERS, one({"parameterFilter": {"name": "Frame", "operator": "EQUAL",
                                                                      "value": "1"}}),
                           [{"fieldSort": {"name": "NAME", "sortOrder": "ASCENDING"}}])
    assert [p[0] for p in problems] == ["filterExpressions.filters[0].parameterFilter.name",
                                        "sortExpressions[0].fieldSort.name"]


def test_every_problem_is_reported_at_once_including_nested_groups():
    problems = problems_of(Resource.JOBS, one(string("A", "x"), {"groupFilter": one(string("B", "y"))}),
                           [{"fieldSort": {"name": "C", "sortOrder": "ASCENDING"}}])
    assert [p[0] for p in problems] == ["filterExpressions.filters[0].stringFilter.name",
                                        "filterExpressions.filters[1].groupFilter.filters[0].stringFilter.name",
                                        "sortExpressions[0].fieldSort.name"]


def test_every_resource_can_be_sorted_by_creation_and_filtered_by_id():
    for resource, fields in VOCABULARY.items():
        assert fields["CREATED_AT"].kind is Kind.DATETIME
        assert any(name.endswith("_ID") for name in fields), resource
