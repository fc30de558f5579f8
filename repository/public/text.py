"""Texts of the statistics and library pages, in both languages, declared once.

Templates show them with ``|localize``, so they need no entry in the gettext catalog.
"""

from __future__ import annotations

from repository.messages import Message, pmessage

TEXT: dict[str, Message] = {
    "statistics": Message("Statistics"),
    "alliance_statistics": Message("Contribution statistics"),
    "library_statistics": Message("Statistics of {library}"),
    "public_intro": Message(
        "Published records and their images, by library, collection and month they were "
        "created. The figures are exact at the moment this page was made."
    ),
    "private_intro": Message(
        "All records of your library, drafts included, and who contributed them. Only "
        "members of the library see this page."
    ),
    "from": Message("From month"),
    "to": Message("To month"),
    "apply": pmessage("filter button", "Show"),
    "records": Message("Records"),
    "images": pmessage("facet", "Images"),
    "cumulative": Message("Records in all (growth)"),
    "total": Message("Total"),
    "name": Message("Name"),
    "month": Message("Month"),
    "none": Message("No records in this range."),
    "download": Message("The same figures as"),
    "growth": Message("Growth over time"),
    "per_month": Message("Records created per month"),
    "libraries": Message("Member libraries"),
    "libraries_intro": Message(
        "The libraries of the alliance that build the special collections together."
    ),
    "region": Message("Region"),
    "website": Message("Website"),
    "contributions": Message("Contributions"),
    "collection": Message("Collection"),
    "coordinates": Message("Coordinates"),
    "no_contributions": Message("No published records yet."),
    "published_records": Message("Published records"),
    "members_statistics": Message("Your library's statistics, drafts and contributors included"),
    "all_statistics": Message("Statistics of the whole alliance"),
    "library_page": Message("Library page"),
    "harvested": Message("Harvested from other repositories"),
    "harvested_intro": Message(
        "Records brought into the one-stop search from other repositories, by source: counted "
        "apart from the records contributed here, whatever the months chosen."
    ),
    "source": Message("Source"),
    "library": Message("Library"),
}
