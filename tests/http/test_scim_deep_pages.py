"""startIndex pages past the middle of a listing are read from its far end (models/search._page);
every page must still hold exactly the rows a single listing has at those positions, for every
order, with ties and unassigned (NULL) sort values, and with the right totalResults."""
import pytest


@pytest.fixture
def listing(scim):
    for i in range(23):
        # familyName: ties (i % 4) and unassigned values (every fifth user)
        name = {"givenName": f"G{i}"} if i % 5 == 0 else {"familyName": f"F{i % 4}", "givenName": f"G{i}"}
        scim.create_user(f"deep{i:03d}@example.com", name=name)
    return scim


@pytest.mark.parametrize("sort_by", [None, "userName", "name.familyName", "meta.created"])
@pytest.mark.parametrize("sort_order", ["ascending", "descending"])
def test_every_startindex_page_matches_the_whole_listing(listing, sort_by, sort_order):
    query = {"filter": 'userName sw "deep"', "sortOrder": sort_order, **({"sortBy": sort_by} if sort_by else {})}
    whole = listing.get("/Users", query_string={**query, "count": 100}).get_json()
    assert whole["totalResults"] == 23
    expected = [user["id"] for user in whole["Resources"]]
    for count in (1, 4, 7):
        seen = []
        for start in range(1, 24, count):
            page = listing.get("/Users", query_string={**query, "startIndex": start, "count": count}).get_json()
            assert page["totalResults"] == 23 and page["startIndex"] == start
            assert page["itemsPerPage"] == len(page["Resources"]) == min(count, 24 - start)
            seen += [user["id"] for user in page["Resources"]]
        assert seen == expected, (sort_by, sort_order, count)


def test_a_page_beyond_the_end_is_empty_with_the_total(listing):
    page = listing.get("/Users", query_string={"filter": 'userName sw "deep"', "startIndex": 40, "count": 5})
    body = page.get_json()
    assert body["totalResults"] == 23 and body.get("Resources", []) == []
