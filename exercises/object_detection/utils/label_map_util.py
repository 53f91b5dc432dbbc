"""Label maps: the API's ``item { id: 1 name: 'zombie' }`` files and category indexes.

A category index maps an id to ``{'id': id, 'name': name}``, as the course builds by hand
(``{1: {'id': 1, 'name': 'zombie'}}``) and `visualization_utils` reads.
"""

from __future__ import annotations

from pathlib import Path

from object_detection.protos.text_format import Message, parse


def load_labelmap(path) -> Message:
    """The label map message of a text file; ids must be at least 1 (0 is the background)."""
    label_map = parse(Path(path).read_text(encoding="utf-8"))
    items = label_map.item if label_map.HasField("item") else []
    label_map.item = items if isinstance(items, list) else [items]
    for item in label_map.item:
        if int(item.id) < 1:
            raise ValueError(f"{path}: label map ids start at 1 (found {item.id} for {item.name!r})")
    return label_map


def convert_label_map_to_categories(label_map: Message | None, max_num_classes: int,
                                    use_display_name: bool = True) -> list[dict]:
    """[{'id': .., 'name': ..}] of the items with id <= max_num_classes (no map: 'category_i')."""
    if label_map is None:
        return [{"id": i, "name": f"category_{i}"} for i in range(1, max_num_classes + 1)]
    categories, seen = [], set()
    for item in label_map.item:
        if not 0 < int(item.id) <= max_num_classes or int(item.id) in seen:
            continue
        seen.add(int(item.id))
        name = item.display_name if use_display_name and item.HasField("display_name") else item.name
        categories.append({"id": int(item.id), "name": str(name)})
    return categories


def create_category_index(categories: list[dict]) -> dict[int, dict]:
    """{id: category} of a list of categories."""
    return {int(category["id"]): category for category in categories}


def get_max_label_map_index(label_map: Message) -> int:
    return max(int(item.id) for item in label_map.item)


def create_categories_from_labelmap(label_map_path, use_display_name: bool = True) -> list[dict]:
    label_map = load_labelmap(label_map_path)
    return convert_label_map_to_categories(label_map, get_max_label_map_index(label_map), use_display_name)


def create_category_index_from_labelmap(label_map_path, use_display_name: bool = True) -> dict[int, dict]:
    """The category index of a label map file, as the course's labs read COCO's."""
    return create_category_index(create_categories_from_labelmap(label_map_path, use_display_name))


def get_label_map_dict(label_map_path, use_display_name: bool = False) -> dict[str, int]:
    """{name: id} of a label map file."""
    return {c["name"]: c["id"] for c in create_categories_from_labelmap(label_map_path, use_display_name)}
