"""Loading RDF files: formats by extension, graphs by file, and errors that say where."""

import gzip

import pytest
from rdflib import Literal, URIRef

from dealgraph import LoadError, load
from dealgraph.vocab import graph_iri

EX = "http://example.org/"


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_each_file_goes_to_the_graph_named_after_its_stem(tmp_path):
    write(tmp_path / "one.ttl", f"<{EX}a> <{EX}p> 1 .\n")
    write(tmp_path / "two.nt", f"<{EX}b> <{EX}p> <{EX}c> .\n")
    dataset = load([tmp_path])
    graphs = {g for *_, g in dataset.quads((None, None, None, None))}
    assert graphs == {graph_iri("one"), graph_iri("two")}
    assert (URIRef(f"{EX}a"), URIRef(f"{EX}p"), Literal(1)) in dataset.graph(graph_iri("one"))


def test_quad_files_keep_the_graphs_they_name(tmp_path):
    write(tmp_path / "q.trig", f"<{EX}g> {{ <{EX}a> <{EX}p> <{EX}b> . }}\n<{EX}x> <{EX}p> <{EX}y> .\n")
    dataset = load([tmp_path / "q.trig"])
    graphs = {g for *_, g in dataset.quads((None, None, None, None))}
    assert graphs == {URIRef(f"{EX}g"), graph_iri("q")}


def test_gzipped_files_are_read(tmp_path):
    path = tmp_path / "packed.nt.gz"
    path.write_bytes(gzip.compress(f"<{EX}a> <{EX}p> <{EX}b> .\n".encode()))
    dataset = load([path])
    assert len(dataset.graph(graph_iri("packed"))) == 1


def test_rdfxml_owl_files_are_read(tmp_path):
    write(
        tmp_path / "onto.owl",
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:owl="http://www.w3.org/2002/07/owl#">\n'
        f'  <owl:Class rdf:about="{EX}Company"/>\n</rdf:RDF>\n',
    )
    assert len(load([tmp_path / "onto.owl"]).graph(graph_iri("onto"))) == 1


def test_a_turtle_syntax_error_names_the_file_and_line(tmp_path):
    write(tmp_path / "good.ttl", f"<{EX}a> <{EX}p> <{EX}b> .\n")
    bad = write(tmp_path / "bad.ttl", f'@prefix ex: <{EX}> .\nex:a ex:p ex:b .\nex:a ex:p "unterminated .\n')
    with pytest.raises(LoadError) as caught:
        load([tmp_path])
    assert caught.value.path == bad
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{bad}:3:")
    assert "Parser error" not in str(caught.value)


def test_an_ntriples_error_names_the_line_and_column(tmp_path):
    second = f"<{EX}a> <{EX}p> .\n"
    bad = write(tmp_path / "bad.nt", f"<{EX}a> <{EX}p> <{EX}b> .\n" + second)
    with pytest.raises(LoadError) as caught:
        load([bad])
    assert (caught.value.line, caught.value.column) == (2, second.rindex(".") + 1)


def test_unknown_extensions_and_missing_paths_are_refused(tmp_path):
    with pytest.raises(LoadError, match="unknown RDF file extension"):
        load([write(tmp_path / "notes.txt", "hello")])
    with pytest.raises(LoadError, match="no such file"):
        load([tmp_path / "absent.ttl"])
