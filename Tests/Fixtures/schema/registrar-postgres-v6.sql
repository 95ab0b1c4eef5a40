--
-- PostgreSQL database dump
--

\restrict KujXaJT3xQg4v7fLFt49gNuGxeTaC6llidjxd18RcALefLFtyth1POh8GsHLqlb


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: activation_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_batch (
    id bigint NOT NULL,
    batch_id text NOT NULL,
    participant_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    body_hash bytea NOT NULL,
    item_count integer NOT NULL,
    received_at bigint NOT NULL,
    results bytea NOT NULL,
    actor_bin text
);


--
-- Name: activation_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.activation_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: activation_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.activation_batch_id_seq OWNED BY public.activation_batch.id;


--
-- Name: activation_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_sequence (
    id integer NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT activation_sequence_id_check CHECK ((id = 1))
);


--
-- Name: aggregation_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.aggregation_event (
    id bigint NOT NULL,
    event_id text NOT NULL,
    participant_bin text NOT NULL,
    digest bytea NOT NULL,
    received_at bigint NOT NULL,
    result text NOT NULL,
    actor_bin text
);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.aggregation_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.aggregation_event_id_seq OWNED BY public.aggregation_event.id;


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    id text NOT NULL,
    hash bytea NOT NULL,
    participant_bin text NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    CONSTRAINT api_token_role_check CHECK ((role = ANY (ARRAY['producer'::text, 'importer'::text, 'banknote-factory'::text, 'revenue-body'::text, 'registrar'::text])))
);


--
-- Name: code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code (
    id bigint NOT NULL,
    code text NOT NULL,
    series text NOT NULL,
    number bigint NOT NULL,
    owner_bin text NOT NULL,
    waybill_id bigint NOT NULL,
    status text NOT NULL,
    product_code text,
    activated_at bigint,
    activation_batch bigint,
    written_off_at bigint,
    write_off_reason text,
    activation_seq bigint,
    written_off_by text,
    CONSTRAINT code_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'activated'::text, 'writtenOff'::text])))
);


--
-- Name: code_case; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code_case (
    code_id bigint NOT NULL,
    unit_id bigint NOT NULL
);


--
-- Name: code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.code_id_seq OWNED BY public.code.id;


--
-- Name: monthly_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monthly_counter (
    participant_bin text NOT NULL,
    month text NOT NULL,
    received bigint DEFAULT 0 NOT NULL,
    activated bigint DEFAULT 0 NOT NULL,
    written_off bigint DEFAULT 0 NOT NULL
);


--
-- Name: schema_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migration (
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit (
    id bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    owner_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    packed_at bigint NOT NULL,
    packed_event text NOT NULL,
    dissolved_at bigint,
    dissolved_event text,
    pallet_id bigint,
    content_count integer NOT NULL,
    CONSTRAINT unit_kind_check CHECK ((kind = ANY (ARRAY['case'::text, 'pallet'::text])))
);


--
-- Name: unit_content; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit_content (
    unit_id bigint NOT NULL,
    content text NOT NULL COLLATE pg_catalog."C",
    "position" integer NOT NULL
);


--
-- Name: unit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unit_id_seq OWNED BY public.unit.id;


--
-- Name: waybill; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill (
    id bigint NOT NULL,
    number text NOT NULL,
    body_hash bytea NOT NULL,
    date text NOT NULL,
    issued_on text NOT NULL,
    month text NOT NULL,
    application_number text NOT NULL,
    application_date text NOT NULL,
    recipient_bin text NOT NULL,
    recipient_name text NOT NULL,
    product_name text NOT NULL,
    product_type text NOT NULL,
    capacity_ml integer NOT NULL,
    quantity integer NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT waybill_quantity_check CHECK ((quantity > 0))
);


--
-- Name: waybill_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.waybill_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: waybill_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.waybill_id_seq OWNED BY public.waybill.id;


--
-- Name: waybill_range; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill_range (
    waybill_id bigint NOT NULL,
    series text NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT waybill_range_check CHECK ((last >= first))
);


--
-- Name: activation_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch ALTER COLUMN id SET DEFAULT nextval('public.activation_batch_id_seq'::regclass);


--
-- Name: aggregation_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event ALTER COLUMN id SET DEFAULT nextval('public.aggregation_event_id_seq'::regclass);


--
-- Name: code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code ALTER COLUMN id SET DEFAULT nextval('public.code_id_seq'::regclass);


--
-- Name: unit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit ALTER COLUMN id SET DEFAULT nextval('public.unit_id_seq'::regclass);


--
-- Name: waybill id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill ALTER COLUMN id SET DEFAULT nextval('public.waybill_id_seq'::regclass);


--
-- Data for Name: activation_batch; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_batch (id, batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results, actor_bin) FROM stdin;
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\x37412dddda05a326864ac16df1567b13cd33438ae4d44c08d7236ff15bfc586c	30	1796396592433	\\x011e000000001500515a413030303030303030303030303030303030310180ce2641a2010000001500515a413030303030303030303030303030303030320168d22641a2010000001500515a413030303030303030303030303030303030330150d62641a2010000001500515a413030303030303030303030303030303030340138da2641a2010000001500515a413030303030303030303030303030303030350120de2641a2010000001500515a413030303030303030303030303030303030360108e22641a2010000001500515a4130303030303030303030303030303030303701f0e52641a2010000001500515a4130303030303030303030303030303030303801d8e92641a2010000001500515a4130303030303030303030303030303030303901c0ed2641a2010000001500515a4130303030303030303030303030303030313001a8f12641a2010000001500515a413030303030303030303030303030303031310190f52641a2010000001500515a413030303030303030303030303030303031320178f92641a2010000001500515a413030303030303030303030303030303031330160fd2641a2010000001500515a413030303030303030303030303030303031340148012741a2010000001500515a413030303030303030303030303030303031350130052741a2010000001500515a413030303030303030303030303030303031360118092741a2010000001500515a4130303030303030303030303030303030313701000d2741a2010000001500515a4130303030303030303030303030303030313801e8102741a2010000001500515a4130303030303030303030303030303030313901d0142741a2010000001500515a4130303030303030303030303030303030323001b8182741a2010000001500515a4130303030303030303030303030303030323101a01c2741a2010000001500515a413030303030303030303030303030303032320188202741a2010000001500515a413030303030303030303030303030303032330170242741a2010000001500515a413030303030303030303030303030303032340158282741a2010000001500515a4130303030303030303030303030303030323501402c2741a2010000001500515a413030303030303030303030303030303032360128302741a2010000001500515a413030303030303030303030303030303032370110342741a2010000001500515a4130303030303030303030303030303030323801f8372741a2010000001500515a4130303030303030303030303030303030323901e03b2741a2010000001500515a4130303030303030303030303030303030333001c83f2741a2010000	970101123452
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\xff556e86f80cb6b80eea18c182a8b350dadef74d5988c43f77ee4c0bbfbb809f	10	1796396592464	\\x010a000000001500515a413030303030303030303030303030303033310100bd5d41a2010000001500515a4130303030303030303030303030303030333201e8c05d41a2010000001500515a4130303030303030303030303030303030333301d0c45d41a2010000001500515a4130303030303030303030303030303030333401b8c85d41a2010000001500515a4130303030303030303030303030303030333501a0cc5d41a2010000001500515a413030303030303030303030303030303033360188d05d41a2010000001500515a413030303030303030303030303030303033370170d45d41a2010000001500515a413030303030303030303030303030303033380158d85d41a2010000001500515a413030303030303030303030303030303033390140dc5d41a2010000001500515a413030303030303030303030303030303034300128e05d41a2010000	970101123452
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x5c36e66d2cdbfbe1ab2d348b671f95186f042ff0c8a6ddf5b55792712819e29a	4	1796396592486	\\x0104000000001500515a423030303030303030303030303030303030310140347941a2010000001500515a423030303030303030303030303030303030320128387941a2010000001500515a4230303030303030303030303030303030303301103c7941a2010000001500515a4230303030303030303030303030303030303401f83f7941a2010000	980202543215
\.


--
-- Data for Name: activation_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_sequence (id, last) FROM stdin;
1	44
\.


--
-- Data for Name: aggregation_event; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.aggregation_event (id, event_id, participant_bin, digest, received_at, result, actor_bin) FROM stdin;
1	6f1c2d3e-0000-4c6d-8e7f-000000000001	970101123452	\\xc64595baa5c70fe79cad7b889800e937d6988afb9637ba507e2a131488de46bc	1796396592529	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000001","result":"applied","unit":"048700010000000011"}	970101123452
2	6f1c2d3e-0000-4c6d-8e7f-000000000002	970101123452	\\x0c60787d5f330a8ac1480d53a246b01969decc48a0e039258f03457512a396f0	1796396592529	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000002","result":"applied","unit":"048700010000001001"}	970101123452
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
7427362f	\\x55da518703471517ef04e4f8c949b09ec38ce55efc58efec5635dbafaf122f1a	990303000012	banknote-factory	1796396591191	\N	\N
f5b3cf05	\\x254fac804001b59ac661edcd04f3e7e8bb12c005e1cc44f4da0acc88a6bcb020	970101123452	producer	1796396591322	\N	\N
752d6325	\\x2008412feb9f670a04b4a6a468f6068405af153024951d70106bffb840be496c	980202543215	producer	1796396591413	\N	\N
bc68b338	\\x53cb4cf2bdddaf009c98579e8ca87a5167648f7242f5fe96c0e386468c9b740e	990404000021	revenue-body	1796396591517	\N	\N
c3aa14dc	\\x4de571dd27acc337a2b85f05836d08877166fe989125af7279c8da956d9fcd58	990404000021	registrar	1796396591613	\N	\N
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason, activation_seq, written_off_by) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796392992000	2	\N	\N	31	\N
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796392993000	2	\N	\N	32	\N
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796392994000	2	\N	\N	33	\N
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796392995000	2	\N	\N	34	\N
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796392996000	2	\N	\N	35	\N
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796392997000	2	\N	\N	36	\N
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796392998000	2	\N	\N	37	\N
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796392999000	2	\N	\N	38	\N
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796393000000	2	\N	\N	39	\N
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796393001000	2	\N	\N	40	\N
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796394792000	3	\N	\N	41	\N
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796394793000	3	\N	\N	42	\N
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796394794000	3	\N	\N	43	\N
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796394795000	3	\N	\N	44	\N
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796395992000	damaged	\N	970101123452
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796395992000	damaged	\N	970101123452
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796389392000	1	\N	\N	1	\N
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796389393000	1	\N	\N	2	\N
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796389394000	1	\N	\N	3	\N
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796389395000	1	\N	\N	4	\N
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796389396000	1	\N	\N	5	\N
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796389397000	1	\N	\N	6	\N
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796389398000	1	\N	\N	7	\N
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796389399000	1	\N	\N	8	\N
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796389400000	1	\N	\N	9	\N
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796389401000	1	\N	\N	10	\N
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796389402000	1	\N	\N	11	\N
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796389403000	1	\N	\N	12	\N
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796389404000	1	\N	\N	13	\N
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796389405000	1	\N	\N	14	\N
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796389406000	1	\N	\N	15	\N
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796389407000	1	\N	\N	16	\N
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796389408000	1	\N	\N	17	\N
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796389409000	1	\N	\N	18	\N
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796389410000	1	\N	\N	19	\N
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796389411000	1	\N	\N	20	\N
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796389412000	1	\N	\N	21	\N
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796389413000	1	\N	\N	22	\N
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796389414000	1	\N	\N	23	\N
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796389415000	1	\N	\N	24	\N
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796389416000	1	\N	\N	25	\N
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796389417000	1	\N	\N	26	\N
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796389418000	1	\N	\N	27	\N
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796389419000	1	\N	\N	28	\N
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796389420000	1	\N	\N	29	\N
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796389421000	1	\N	\N	30	\N
\.


--
-- Data for Name: code_case; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code_case (code_id, unit_id) FROM stdin;
1	1
2	1
3	1
4	1
5	1
6	1
7	1
8	1
9	1
10	1
11	1
12	1
\.


--
-- Data for Name: monthly_counter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.monthly_counter (participant_bin, month, received, activated, written_off) FROM stdin;
980202543215	2026-12	12	4	0
970101123452	2026-12	60	40	2
\.


--
-- Data for Name: schema_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migration (name, applied_at) FROM stdin;
v1-registrar	1796396591099
v2-reports	1796396591103
v3-activation-stream	1796396591122
v4-activation-time	1796396591126
v5-aggregation	1796396591179
v6-actor	1796396591184
\.


--
-- Data for Name: unit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit (id, code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, dissolved_at, dissolved_event, pallet_id, content_count) FROM stdin;
2	048700010000001001	pallet	970101123452	line-1	case-packer-1	1796395452000	6f1c2d3e-0000-4c6d-8e7f-000000000002	\N	\N	\N	1
1	048700010000000011	case	970101123452	line-1	case-packer-1	1796395392000	6f1c2d3e-0000-4c6d-8e7f-000000000001	\N	\N	2	12
\.


--
-- Data for Name: unit_content; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit_content (unit_id, content, "position") FROM stdin;
1	QZA000000000000000001	0
1	QZA000000000000000002	1
1	QZA000000000000000003	2
1	QZA000000000000000004	3
1	QZA000000000000000005	4
1	QZA000000000000000006	5
1	QZA000000000000000007	6
1	QZA000000000000000008	7
1	QZA000000000000000009	8
1	QZA000000000000000010	9
1	QZA000000000000000011	10
1	QZA000000000000000012	11
2	048700010000000011	0
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796396592385
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796396592415
\.


--
-- Data for Name: waybill_range; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill_range (waybill_id, series, first, last) FROM stdin;
1	AB	1	60
2	AC	1	12
\.


--
-- Name: activation_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.activation_batch_id_seq', 3, true);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.aggregation_event_id_seq', 2, true);


--
-- Name: code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.code_id_seq', 72, true);


--
-- Name: unit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unit_id_seq', 2, true);


--
-- Name: waybill_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.waybill_id_seq', 2, true);


--
-- Name: activation_batch activation_batch_batch_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_batch_id_key UNIQUE (batch_id);


--
-- Name: activation_batch activation_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_pkey PRIMARY KEY (id);


--
-- Name: activation_sequence activation_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_sequence
    ADD CONSTRAINT activation_sequence_pkey PRIMARY KEY (id);


--
-- Name: aggregation_event aggregation_event_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_event_id_key UNIQUE (event_id);


--
-- Name: aggregation_event aggregation_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_pkey PRIMARY KEY (id);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: code_case code_case_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_pkey PRIMARY KEY (code_id);


--
-- Name: code code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_code_key UNIQUE (code);


--
-- Name: code code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_pkey PRIMARY KEY (id);


--
-- Name: code code_series_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_series_number_key UNIQUE (series, number);


--
-- Name: monthly_counter monthly_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monthly_counter
    ADD CONSTRAINT monthly_counter_pkey PRIMARY KEY (participant_bin, month);


--
-- Name: schema_migration schema_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (name);


--
-- Name: unit_content unit_content_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_pkey PRIMARY KEY (unit_id, content);


--
-- Name: unit unit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pkey PRIMARY KEY (id);


--
-- Name: waybill waybill_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_number_key UNIQUE (number);


--
-- Name: waybill waybill_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_pkey PRIMARY KEY (id);


--
-- Name: code_activated_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_activated_at ON public.code USING btree (activated_at, owner_bin) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX code_activation_seq ON public.code USING btree (activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_case_unit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_case_unit ON public.code_case USING btree (unit_id);


--
-- Name: code_owner_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_owner_activation_seq ON public.code USING btree (owner_bin, activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_pool; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pool ON public.code USING btree (owner_bin, status, code COLLATE "C");


--
-- Name: unit_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_code ON public.unit USING btree (code, id);


--
-- Name: unit_packed; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX unit_packed ON public.unit USING btree (code) WHERE (dissolved_at IS NULL);


--
-- Name: unit_pallet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_pallet ON public.unit USING btree (pallet_id) WHERE (pallet_id IS NOT NULL);


--
-- Name: waybill_recipient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waybill_recipient ON public.waybill USING btree (recipient_bin, id);


--
-- Name: code code_activation_batch_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_activation_batch_fkey FOREIGN KEY (activation_batch) REFERENCES public.activation_batch(id);


--
-- Name: code_case code_case_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: code_case code_case_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: code code_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- Name: unit_content unit_content_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: unit unit_pallet_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pallet_id_fkey FOREIGN KEY (pallet_id) REFERENCES public.unit(id);


--
-- Name: waybill_range waybill_range_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill_range
    ADD CONSTRAINT waybill_range_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- PostgreSQL database dump complete
--

\unrestrict KujXaJT3xQg4v7fLFt49gNuGxeTaC6llidjxd18RcALefLFtyth1POh8GsHLqlb

